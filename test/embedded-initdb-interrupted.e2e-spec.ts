import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import { freePort } from '../src/lib/free-port';
import { pidsWhoseCommandLine } from './helpers/processes';
import { spawnApp, SpawnedApp, waitForListening } from './helpers/spawn-app';

/** Pids of the initdb processes writing into a scratch folder next to `dataDir`. */
function initdbsFor(dataDir: string): number[] {
  return pidsWhoseCommandLine((line) => line.includes('initdb') && line.includes(`--pgdata=${dataDir}.init-`));
}

/** A run killed in the middle of initdb, as by a power cut: the next run must start cleanly. */
describe('embedded PostgreSQL: an interrupted initdb', () => {
  let dir: string;
  let dataDir: string;
  let env: Record<string, string>;
  const running: SpawnedApp[] = [];

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bookapi-initdb-'));
    fs.chmodSync(dir, 0o755);
    dataDir = path.join(dir, 'postgres');
    env = { EMBEDDED_PG_DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(await freePort()), NODE_ENV: 'development' };
  });

  afterAll(async () => {
    for (const app of running) await app.stop('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('leaves no half cluster where the next run looks, and the next run starts on a fresh one', async () => {
    const first = spawnApp(env);
    running.push(first);
    let pids: number[] = [];
    for (let i = 0; i < 1200 && pids.length === 0; i++) {
      pids = initdbsFor(dataDir);
      if (pids.length === 0) await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(pids.length).toBeGreaterThan(0);
    // The service and its initdb both die at once.
    await first.stop('SIGKILL');
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch (error) {
        // Ended between the look-up and now (a wrapper or a step of initdb): nothing left to kill.
        if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
      }
    }

    expect(fs.existsSync(dataDir)).toBe(false);
    const leftovers = fs.readdirSync(dir).filter((name) => name.startsWith('postgres.init-'));
    expect(leftovers).toHaveLength(1);

    const second = spawnApp(env);
    running.push(second);
    const baseUrl = await waitForListening(second, 60_000);
    await request(baseUrl).get('/books').expect(200);
    expect(fs.existsSync(path.join(dataDir, 'PG_VERSION'))).toBe(true);
    expect(fs.readdirSync(dir).filter((name) => name.startsWith('postgres.init-'))).toEqual([]);
    await expect(second.stop('SIGTERM')).resolves.toEqual({ code: 0, signal: null });
  });
});
