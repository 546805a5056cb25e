/**
 * Spawn to the first 200 on /health/ready, and the process's CPU by then, for the service with each
 * kind of V8 code cache against the bare node:http + pg baseline, starts interleaved on one migrated
 * database (docs/decisions/0025-code-cache.md; 0022-fast-starts.md compares builds the same way):
 *
 *   npm run build   # in each checkout
 *   LAB_URL=… npx ts-node -T bench/repro/start-times.ts [rounds, default 8] [checkout …, default .]
 *
 * Per checkout: `none` runs a copy of its dist/ without the image's primed cache and with an empty
 * NODE_COMPILE_CACHE before each start (a first start of a build); `image` an empty
 * NODE_COMPILE_CACHE with the primed cache the Dockerfile's build stage writes (a new container);
 * `user` a folder a full start wrote before (a restart). Prints each one's median wall time (range),
 * its ratio to the baseline's, and its median CPU (user + system, /proc/<pid>/stat).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { nodeFlags } from '../../src/lib/node-flags';
import { cpuMicros } from '../lib/proc';
import { RunningServer, startBaseline, startService } from '../lib/servers';

interface Variant {
  label: string;
  start(): Promise<RunningServer>;
}

const databaseUrl = new URL(process.env.LAB_URL ?? '');
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'start-times-'));
const emptyCache = () => fs.mkdtempSync(path.join(scratch, 'cache-'));

function prime(appDir: string): void {
  const run = spawnSync(
    process.execPath,
    [...nodeFlags(appDir), path.join(appDir, 'dist', 'main.js'), '--prime-code-cache'],
    {
      cwd: appDir,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', NODE_ENV: 'production' },
      encoding: 'utf8',
    },
  );
  if (run.status !== 0) throw new Error(`priming ${appDir} failed: ${run.stderr}`);
}

/** The checkout's build without any shipped .v8 file, as a first build before priming has it. */
function unprimedCopy(appDir: string, name: string): string {
  const copy = path.join(scratch, name);
  fs.cpSync(path.join(appDir, 'dist'), path.join(copy, 'dist'), { recursive: true, filter: (f) => !f.endsWith('.v8') });
  fs.copyFileSync(path.join(appDir, 'package.json'), path.join(copy, 'package.json'));
  fs.symlinkSync(path.join(appDir, 'node_modules'), path.join(copy, 'node_modules'));
  return copy;
}

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 8);
  const checkouts = process.argv.length > 3 ? process.argv.slice(3) : ['.'];
  const variants: Variant[] = [
    { label: 'baseline node:http + pg', start: () => startBaseline(databaseUrl, 10, 'transaction') },
  ];
  for (const [i, checkout] of checkouts.entries()) {
    const appDir = path.resolve(checkout);
    // Builds before the code cache have no launcher to prime; their three variants differ only in
    // Node's own compile cache.
    if (fs.existsSync(path.join(appDir, 'scripts', 'launcher.cjs'))) prime(appDir);
    const cold = unprimedCopy(appDir, `cold-${i}`);
    const userCache = emptyCache();
    const start = (dir: string, cache: () => string) => () =>
      startService({ appDir: dir, databaseUrl, extraEnv: { NODE_COMPILE_CACHE: cache() } });
    // A full start writes the user's cache that `user` then reads.
    await (await start(appDir, () => userCache)()).stop();
    variants.push(
      { label: `${checkout} none`, start: start(cold, emptyCache) },
      { label: `${checkout} image`, start: start(appDir, emptyCache) },
      { label: `${checkout} user`, start: start(appDir, () => userCache) },
    );
  }
  const samples = new Map(variants.map((v) => [v.label, { wall: [] as number[], cpu: [] as number[] }]));
  for (let round = 0; round < rounds; round++) {
    // Alternate the order, so drift on a shared machine does not favour one variant.
    for (const variant of round % 2 ? [...variants].reverse() : variants) {
      const server = await variant.start();
      const cpu = cpuMicros(server.pid) / 1000;
      await server.stop();
      samples.get(variant.label)!.wall.push(server.readyMs);
      samples.get(variant.label)!.cpu.push(cpu);
    }
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const base = median(samples.get(variants[0].label)!.wall);
  for (const [label, { wall, cpu }] of samples) {
    const range = `${Math.min(...wall).toFixed(0)}–${Math.max(...wall).toFixed(0)}`;
    const ratio = (median(wall) / base).toFixed(1);
    console.log(`${label}\twall ${median(wall).toFixed(0)} ms (${range}), ${ratio}x\tCPU ${median(cpu).toFixed(0)} ms`);
  }
  fs.rmSync(scratch, { recursive: true, force: true });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
