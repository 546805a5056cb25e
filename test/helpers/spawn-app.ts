import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { nodeFlags } from '../../src/lib/node-flags';
import { useTestDatabase } from './books-app';
import { serviceEnv, type TestDatabase } from './test-database';

export interface SpawnedApp {
  proc: ChildProcess;
  /** Set once the app logged "Listening on". */
  baseUrl?: string;
  output(): string;
  /** Resolves with the exit code (or signal) when the process ends. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const ROOT = path.resolve(__dirname, '../..');
export const MAIN_JS = path.join(ROOT, 'dist/main.js');

/**
 * Runs the built service (`node <heap flags> dist/main.js`, as `npm run start:prod` does) with exactly
 * the given environment plus PATH/HOME, and access control off (AUTH_DISABLED=true: these suites
 * write without a credential; pass AUTH_DISABLED=false to test it). scripts/jest.mjs builds it
 * first (npm run build).
 */
export function spawnApp(env: Record<string, string>, options: { cwd?: string; mainJs?: string } = {}): SpawnedApp {
  const proc = spawn(process.execPath, [...nodeFlags(ROOT), options.mainJs ?? MAIN_JS], {
    cwd: options.cwd ?? ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/root',
      PORT: '0',
      LOG_FORMAT: 'pretty',
      AUTH_DISABLED: 'true',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const app: SpawnedApp = {
    proc,
    output: () => out,
    exited: new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal }))),
    stop: async (signal = 'SIGTERM') => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return app.exited;
    },
  };
  const onData = (chunk: Buffer) => {
    out += chunk.toString();
    const match = /Listening on (http:\/\/\S+)/.exec(out);
    if (match && !app.baseUrl) app.baseUrl = match[1].replace('[::1]', '127.0.0.1');
  };
  proc.stdout.on('data', onData);
  proc.stderr.on('data', onData);
  return app;
}

/** Waits until the spawned app listens; rejects if it exits first or time runs out. */
export async function waitForListening(app: SpawnedApp, timeoutMs = 30000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (!app.baseUrl) {
    if (app.proc.exitCode !== null || app.proc.signalCode !== null) {
      throw new Error(`app exited (${app.proc.exitCode ?? app.proc.signalCode}) before listening:\n${app.output()}`);
    }
    if (Date.now() > deadline) throw new Error(`app did not listen within ${timeoutMs} ms:\n${app.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return app.baseUrl;
}

/** The suites that spawn the built service: a database of their own and `start(env)` on it. */
export interface SpawnedAppFixture {
  readonly db: TestDatabase;
  start(env: Record<string, string>, options?: { mainJs?: string }): SpawnedApp;
}

export function useSpawnedApp(label: string): SpawnedAppFixture {
  beforeAll(() => {
    if (!fs.existsSync(MAIN_JS)) throw new Error(`${MAIN_JS} is missing: run npx nest build first`);
  });
  const database = useTestDatabase(label);
  return {
    get db() {
      return database.db;
    },
    start: (env, options) => spawnApp({ ...serviceEnv(database.db), ...env }, options),
  };
}
