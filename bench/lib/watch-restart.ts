import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort, request } from './net';
import { ROOT, transpileBaseline, WORK_DIR } from './servers';

/** Top-level entries a copy of the project does without: built, generated, or machine-local. */
const NOT_COPIED = new Set(['node_modules', 'dist', 'build', '.data', 'test-output', '.git', 'coverage', '.env']);

export interface WatchRestarts {
  /** `npm run start:dev`: from writing a one-line change until the new process answers /health/ready. */
  serviceMs: number[];
  /** `node --watch` on the baseline server, the same edit: the floor of a restart on this machine. */
  baselineMs: number[];
}

interface Watched {
  output(): string;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts `command` in its own process group, so stopping it stops what it spawned. */
function watched(command: string, args: string[], cwd: string, env: Record<string, string>): Watched {
  const child: ChildProcess = spawn(command, args, {
    cwd,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env },
  });
  let out = '';
  const keep = (chunk: Buffer) => (out = (out + chunk.toString()).slice(-200_000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    output: () => out,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGTERM');
      const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Waits until `listening` has matched more than `seen` times and /health/ready answers 200. */
async function readyAgain(proc: Watched, baseUrl: string, listening: RegExp, seen: number, timeoutMs = 180_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if ((proc.output().match(listening) ?? []).length > seen) {
      const res = await request(`${baseUrl}/health/ready`, { timeoutMs: 2000 }).catch(() => undefined);
      if (res?.status === 200) return;
    }
    if (Date.now() > deadline) throw new Error(`no restart within ${timeoutMs} ms:\n${proc.output().slice(-4000)}`);
    await sleep(10);
  }
}

/** Saves `saves` one-line edits to `file` and times each until the restarted process is ready. */
async function timeSaves(
  proc: Watched,
  baseUrl: string,
  listening: RegExp,
  file: string,
  edit: (text: string, n: number) => string,
  saves: number,
): Promise<number[]> {
  await readyAgain(proc, baseUrl, listening, 0);
  const times: number[] = [];
  for (let n = 1; n <= saves; n++) {
    // Let the watcher settle (and the type checker finish) so each save starts from quiet.
    await sleep(3000);
    const seen = (proc.output().match(listening) ?? []).length;
    const started = process.hrtime.bigint();
    fs.writeFileSync(file, edit(fs.readFileSync(file, 'utf8'), n));
    await readyAgain(proc, baseUrl, listening, seen);
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return times;
}

/**
 * Watch-mode restarts, scripted: the service's `npm run start:dev` in a temporary copy of the
 * project (edits never touch this checkout), and `node --watch` on the baseline server.
 */
export async function measureWatchRestarts(databaseUrl: URL, saves: number): Promise<WatchRestarts> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bookapi-bench-watch-'));
  const cleanups = [() => fs.rmSync(tmp, { recursive: true, force: true })];
  try {
    const copy = path.join(tmp, 'project');
    fs.cpSync(ROOT, copy, {
      recursive: true,
      filter: (source) => {
        const relative = path.relative(ROOT, source);
        return !NOT_COPIED.has(relative.split(path.sep)[0]) && !relative.startsWith(path.join('bench', '.work'));
      },
    });
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(copy, 'node_modules'), 'dir');

    const port = await freePort();
    const service = watched('npm', ['run', 'start:dev'], copy, {
      NODE_ENV: 'development',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_URL: databaseUrl.toString(),
      THROTTLE_ENABLED: 'false',
      LOG_FORMAT: 'pretty',
      NO_COLOR: '1',
    });
    let serviceMs: number[];
    try {
      serviceMs = await timeSaves(
        service,
        `http://127.0.0.1:${port}`,
        /Listening on http/g,
        path.join(copy, 'src/app.setup.ts'),
        (text, n) => text.replace(/\.setTitle\('bookapi[^']*'\)/, `.setTitle('bookapi (save ${n})')`),
        saves,
      );
    } finally {
      await service.stop();
    }

    const baselineDir = path.join(WORK_DIR, 'watch-baseline');
    const baselineJs = transpileBaseline(baselineDir);
    cleanups.push(() => fs.rmSync(baselineDir, { recursive: true, force: true }));
    const baselinePort = await freePort();
    const baseline = watched(process.execPath, ['--watch', baselineJs], ROOT, {
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(baselinePort),
      DATABASE_URL: databaseUrl.toString(),
    });
    let baselineMs: number[];
    try {
      baselineMs = await timeSaves(
        baseline,
        `http://127.0.0.1:${baselinePort}`,
        /baseline listening on/g,
        baselineJs,
        (text, n) => `${text}\n// save ${n}\n`,
        saves,
      );
    } finally {
      await baseline.stop();
    }
    return { serviceMs, baselineMs };
  } finally {
    for (const cleanup of cleanups) cleanup();
  }
}
