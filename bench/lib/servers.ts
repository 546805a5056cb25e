import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';
import { nodeFlags } from '../../src/lib/node-flags';
import { freePort, request } from './net';

export const ROOT = path.resolve(__dirname, '../..');
export const WORK_DIR = path.join(ROOT, 'bench', '.work');

export interface RunningServer {
  /** `baseline` does the service's SQL work (writes in BEGIN … COMMIT); `baseline-autocommit` writes without. */
  name: 'service' | 'baseline' | 'baseline-autocommit';
  pid: number;
  baseUrl: string;
  /** Milliseconds from spawn to the first 200 on /health/ready. */
  readyMs: number;
  /** The inspector's port, when started with one (allocation sampling). */
  inspectPort?: number;
  output(): string;
  stop(): Promise<void>;
}

export interface ServiceOptions {
  databaseUrl: URL;
  /** The checkout whose dist/main.js runs (default: this one). */
  appDir?: string;
  /** Directory for `node --cpu-prof` output; no profiling when unset. */
  cpuProfileDir?: string;
  extraEnv?: Record<string, string>;
  /** Node flags before dist/main.js (default: that checkout's package.json `config.nodeFlags`). */
  nodeFlags?: string[];
  /** Open the inspector on a free loopback port (allocation sampling). */
  inspect?: boolean;
  /** Sees all the process writes to stdout and stderr, as it comes (output() keeps only the end). */
  onOutput?: (chunk: string) => void;
}

/** The built service as production runs it: `node <heap flags> dist/main.js`. */
export async function startService(options: ServiceOptions): Promise<RunningServer> {
  const port = await freePort();
  const appDir = options.appDir ?? ROOT;
  const args = [...(options.nodeFlags ?? nodeFlags(appDir)), path.join(appDir, 'dist', 'main.js')];
  if (options.cpuProfileDir) args.unshift('--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`);
  return launch('service', args, port, options.inspect ?? false, options.onOutput, {
    NODE_ENV: 'production',
    // Production's metrics port is fixed (9464); any free one, so runs never collide.
    METRICS_PORT: '0',
    DB_SCHEMA_MODE: 'migrate',
    THROTTLE_ENABLED: 'false',
    // The load rows price the service against the baseline without access control; the auth row
    // turns it on (extraEnv AUTH_DISABLED=false) and compares the two builds of the service.
    AUTH_DISABLED: 'true',
    LOG_LEVEL: 'warn',
    LOG_FORMAT: 'json',
    // Load generators hang up mid-request; the drain need not wait the default 10 s for those.
    SHUTDOWN_TIMEOUT_MS: '3000',
    HOST: '127.0.0.1',
    PORT: String(port),
    DATABASE_URL: options.databaseUrl.toString(),
    ...options.extraEnv,
  });
}

/** The node:http + pg baseline, transpiled once into bench/.work so it runs on plain node. */
export async function startBaseline(
  databaseUrl: URL,
  poolMax: number,
  writes: 'transaction' | 'autocommit',
  cpuProfileDir?: string,
  inspect = false,
): Promise<RunningServer> {
  const port = await freePort();
  const args = [transpileBaseline()];
  if (cpuProfileDir) args.unshift('--cpu-prof', `--cpu-prof-dir=${cpuProfileDir}`);
  return launch(writes === 'transaction' ? 'baseline' : 'baseline-autocommit', args, port, inspect, undefined, {
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    DATABASE_URL: databaseUrl.toString(),
    DB_POOL_MAX: String(poolMax),
    BASELINE_WRITES: writes,
  });
}

/** Writes the baseline as plain JavaScript under `outDir` (inside the project, so `pg` resolves). */
export function transpileBaseline(outDir = path.join(WORK_DIR, 'baseline')): string {
  // Repository-relative paths, so the baseline's import of the service's column list resolves.
  for (const file of ['bench/baseline-server.ts', 'bench/lib/sql.ts', 'src/books/book-sql.ts']) {
    const source = fs.readFileSync(path.join(ROOT, file), 'utf8');
    const { outputText } = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
      fileName: file,
    });
    const out = path.join(outDir, file.replace(/\.ts$/, '.js'));
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, outputText);
  }
  return path.join(outDir, 'bench', 'baseline-server.js');
}

async function launch(
  name: RunningServer['name'],
  args: string[],
  port: number,
  inspect: boolean,
  onOutput: ((chunk: string) => void) | undefined,
  env: Record<string, string>,
): Promise<RunningServer> {
  const inspectPort = inspect ? await freePort() : undefined;
  if (inspectPort !== undefined) args = [`--inspect=127.0.0.1:${inspectPort}`, ...args];
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (chunk: Buffer) => {
    onOutput?.(chunk.toString());
    out = (out + chunk.toString()).slice(-20_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const baseUrl = `http://127.0.0.1:${port}`;
  try {
    await waitReady(child, baseUrl, () => out);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  const readyMs = Number(process.hrtime.bigint() - started) / 1e6;
  return {
    name,
    pid: child.pid!,
    baseUrl,
    readyMs,
    inspectPort,
    output: () => out,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const t = Date.now();
      await exited;
      clearTimeout(timer);
      // A drain that waits out SHUTDOWN_TIMEOUT_MS is worth knowing about (it exits 1).
      if (Date.now() - t > 3000) console.log(`${name} took ${Date.now() - t} ms to stop (exit ${child.exitCode})`);
    },
  };
}

async function waitReady(
  child: ChildProcess,
  baseUrl: string,
  output: () => string,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${baseUrl} exited (${child.exitCode ?? child.signalCode}) before ready:\n${output()}`);
    }
    const res = await request(`${baseUrl}/health/ready`, { timeoutMs: 2000 }).catch(() => undefined);
    if (res?.status === 200) return;
    if (Date.now() > deadline) throw new Error(`${baseUrl} not ready within ${timeoutMs} ms:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
