import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import request from 'supertest';
import { EmbeddedPostgresServer } from '../src/database/embedded/embedded-postgres.server';
import { uniqueIsbn13 } from './factories/book.factory';
import { freePort } from '../src/lib/free-port';
import { SAME_SIGNAL_WINDOW_MS } from '../src/common/shutdown/shutdown-signals';
import { spawnApp, SpawnedApp, waitForListening } from './helpers/spawn-app';
import { createTestDatabase, query, serviceEnv, TestDatabase } from './helpers/test-database';

const isbn13 = uniqueIsbn13;

async function until(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A POST that the lock below holds inside its transaction; resolves with its status (or the network error). */
function post(baseUrl: string, isbn: string): Promise<number | string> {
  return fetch(`${baseUrl}/books`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ title: 'In flight', author: 'Shutdown', isbn, publishedYear: 2024 }),
    signal: AbortSignal.timeout(30_000),
  }).then(
    (res) => res.status,
    (error: Error) => `${error.name}: ${error.message}`,
  );
}

/** A session holding SHARE on books: every INSERT waits for it inside its transaction. */
async function lockBooks(url: URL): Promise<Client> {
  const holder = new Client({ connectionString: url.toString(), application_name: 'bookapi-test-lock' });
  holder.on('error', () => undefined);
  await holder.connect();
  await holder.query('BEGIN; LOCK TABLE books IN SHARE MODE');
  return holder;
}

async function waitingOnLock(adminUrl: URL, applicationName: string): Promise<number> {
  const [row] = await query<{ n: number }>(
    adminUrl,
    "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'",
    [applicationName],
  );
  return row.n;
}

/** The shutdown milestones the service logged, in the order it logged them. */
function shutdownSteps(output: string): string[] {
  const steps =
    /SIG(?:TERM|INT) received|In-flight requests finished|DataSource destroyed|Embedded PostgreSQL stopped/g;
  return [...output.matchAll(steps)].map((match) => match[0]);
}

/** Pids of processes whose command line names this data folder. */
function postgresUsing(dataDir: string): number[] {
  return fs
    .readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dataDir);
      } catch {
        return false;
      }
    })
    .map(Number);
}

/**
 * Graceful shutdown of the built service (node dist/main.js): SIGTERM turns readiness and new
 * requests into 503 (Connection: close) while the listener stays open, lets the requests in
 * flight finish and commit, then destroys the DataSource (and stops the embedded server) and
 * exits 0 within SHUTDOWN_TIMEOUT_MS. A second signal exits at once.
 */
describe('graceful shutdown', () => {
  let db: TestDatabase;
  const apps: SpawnedApp[] = [];
  const holders: Client[] = [];
  let scratch: string | undefined;

  beforeAll(async () => {
    db = await createTestDatabase('shutdown');
  });

  afterAll(async () => {
    for (const app of apps) await app.stop('SIGKILL');
    for (const holder of holders) await holder.end().catch(() => undefined);
    if (scratch) {
      for (const pid of postgresUsing(scratch)) process.kill(pid, 'SIGKILL');
      fs.rmSync(scratch, { recursive: true, force: true });
    }
    await db?.drop();
  });

  const launch = async (env: Record<string, string>) => {
    const app = spawnApp({ NODE_ENV: 'test', LOG_LEVEL: 'log', THROTTLE_ENABLED: 'false', ...env });
    apps.push(app);
    await waitForListening(app);
    return app;
  };

  const hold = async (url: URL) => {
    const holder = await lockBooks(url);
    holders.push(holder);
    return holder;
  };

  it('lets 20 in-flight transactions finish and commit after SIGTERM, refusing new work meanwhile, then exits 0', async () => {
    const name = 'bookapi-shutdown-drain';
    // A pool as large as the burst, so all 20 are inside their transactions, not queued for a connection.
    const app = await launch({ ...serviceEnv(db), DB_APPLICATION_NAME: name, DB_POOL_MAX: '25' });
    const baseUrl = app.baseUrl!;
    const holder = await hold(db.url);
    const isbns = Array.from({ length: 20 }, isbn13);
    const inFlight = isbns.map((isbn) => post(baseUrl, isbn));
    await until('20 INSERTs wait on the lock', async () => (await waitingOnLock(db.adminUrl, name)) === 20);

    app.proc.kill('SIGTERM');
    await until('draining', () => app.output().includes('SIGTERM received'));

    const ready = await request(baseUrl).get('/health/ready').expect(503);
    expect(ready.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(ready.body).toMatchObject({ status: 503 });
    const refused = await request(baseUrl).get('/books').expect(503);
    expect(refused.headers).toMatchObject({ connection: 'close', 'retry-after': expect.stringMatching(/^\d+$/) });
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    await request(baseUrl)
      .post('/books')
      .send({ title: 'Late', author: 'Refused', isbn: isbn13(), publishedYear: 2024 })
      .expect(503);
    await request(baseUrl).get('/health/live').expect(200);
    expect(app.proc.exitCode).toBeNull();

    await holder.query('COMMIT');
    await expect(Promise.all(inFlight)).resolves.toEqual(Array(20).fill(201));
    // Code 0: drained. Giving up at SHUTDOWN_TIMEOUT_MS would exit with code 1 (the test below).
    await expect(app.exited).resolves.toEqual({ code: 0, signal: null });

    const rows = await query<{ isbn: string }>(db.url, 'SELECT isbn FROM books WHERE isbn = ANY($1)', [isbns]);
    expect(rows.map((row) => row.isbn).sort()).toEqual([...isbns].sort());
    // Its backends leave pg_stat_activity as they exit, a moment after the process's sockets closed.
    await until('its sessions are gone', async () => {
      const sessions = await query(db.adminUrl, 'SELECT pid FROM pg_stat_activity WHERE application_name = $1', [name]);
      return sessions.length === 0;
    });
    expect(shutdownSteps(app.output())).toEqual([
      'SIGTERM received',
      'In-flight requests finished',
      'DataSource destroyed',
    ]);
  });

  it('exits at once on a second signal, without waiting for the request in flight', async () => {
    const name = 'bookapi-shutdown-twice';
    const app = await launch({ ...serviceEnv(db), DB_APPLICATION_NAME: name });
    const holder = await hold(db.url);
    const isbn = isbn13();
    const inFlight = post(app.baseUrl!, isbn);
    await until('the INSERT waits on the lock', async () => (await waitingOnLock(db.adminUrl, name)) === 1);

    app.proc.kill('SIGTERM');
    await until('draining', () => app.output().includes('SIGTERM received'));
    // Past the window in which a repeat counts as the same signal (the test below).
    await new Promise((resolve) => setTimeout(resolve, SAME_SIGNAL_WINDOW_MS + 200));
    app.proc.kill('SIGTERM');
    await expect(app.exited).resolves.toEqual({ code: 143, signal: null });
    expect(app.output()).toMatch(/Second SIGTERM: exiting now/);
    await expect(inFlight).resolves.toEqual(expect.any(String));

    // The abandoned transaction never commits.
    await holder.query('ROLLBACK');
    await until('its session is gone', async () => {
      const sessions = await query(db.adminUrl, 'SELECT 1 FROM pg_stat_activity WHERE application_name = $1', [name]);
      return sessions.length === 0;
    });
    await expect(query(db.url, 'SELECT 1 FROM books WHERE isbn = $1', [isbn])).resolves.toEqual([]);
  });

  it('takes two SIGINTs close together (a Ctrl-C that npm forwards again) as one: it still drains and exits 0', async () => {
    const name = 'bookapi-shutdown-ctrl-c';
    const app = await launch({ ...serviceEnv(db), DB_APPLICATION_NAME: name });
    const holder = await hold(db.url);
    const isbn = isbn13();
    const inFlight = post(app.baseUrl!, isbn);
    await until('the INSERT waits on the lock', async () => (await waitingOnLock(db.adminUrl, name)) === 1);

    // The kernel merges a signal that is still pending into the one before it, so the second goes
    // as soon as the first is handled, as npm's forwarded copy does.
    const handled = new Promise<void>((resolve) => {
      const onData = () => {
        if (!app.output().includes('SIGINT received')) return;
        app.proc.stdout!.off('data', onData);
        resolve();
      };
      app.proc.stdout!.on('data', onData);
    });
    app.proc.kill('SIGINT');
    await handled;
    app.proc.kill('SIGINT');
    await until('the second signal handled', () => /SIGINT again within/.test(app.output()));
    expect(app.proc.exitCode).toBeNull();
    await request(app.baseUrl!).get('/health/ready').expect(503);

    await holder.query('COMMIT');
    await expect(inFlight).resolves.toBe(201);
    await expect(app.exited).resolves.toEqual({ code: 0, signal: null });
    expect(app.output()).not.toMatch(/Second SIGINT/);
    await expect(query(db.url, 'SELECT 1 AS found FROM books WHERE isbn = $1', [isbn])).resolves.toEqual([
      { found: 1 },
    ]);
    expect(shutdownSteps(app.output())).toEqual([
      'SIGINT received',
      'In-flight requests finished',
      'DataSource destroyed',
    ]);
  });

  it('does not wait for a client that hung up: its request no longer holds shutdown to the deadline', async () => {
    const name = 'bookapi-shutdown-hangup';
    const app = await launch({
      ...serviceEnv(db),
      DB_APPLICATION_NAME: name,
      SHUTDOWN_TIMEOUT_MS: '20000',
    });
    const holder = await hold(db.url);
    const client = new AbortController();
    const abandoned = fetch(`${app.baseUrl!}/books`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'Abandoned', author: 'Shutdown', isbn: isbn13(), publishedYear: 2024 }),
      signal: client.signal,
    }).catch((error: Error) => error.name);
    await until('the INSERT waits on the lock', async () => (await waitingOnLock(db.adminUrl, name)) === 1);
    client.abort();
    await expect(abandoned).resolves.toBe('AbortError');
    // The handler finishes (its answer goes nowhere); the request must not count as in flight after that.
    await holder.query('ROLLBACK');
    await until('the INSERT is done', async () => (await waitingOnLock(db.adminUrl, name)) === 0);

    app.proc.kill('SIGTERM');
    // Code 0: nothing counted as in flight; a request still counted would hold shutdown until
    // SHUTDOWN_TIMEOUT_MS and exit with code 1.
    await expect(app.exited).resolves.toEqual({ code: 0, signal: null });
  });

  it('gives up at SHUTDOWN_TIMEOUT_MS with exit code 1 when a request does not finish', async () => {
    const name = 'bookapi-shutdown-deadline';
    const app = await launch({
      ...serviceEnv(db),
      DB_APPLICATION_NAME: name,
      SHUTDOWN_TIMEOUT_MS: '1500',
    });
    const holder = await hold(db.url);
    const inFlight = post(app.baseUrl!, isbn13());
    await until('the INSERT waits on the lock', async () => (await waitingOnLock(db.adminUrl, name)) === 1);

    app.proc.kill('SIGTERM');
    await expect(app.exited).resolves.toEqual({ code: 1, signal: null });
    expect(app.output()).toMatch(/did not finish within SHUTDOWN_TIMEOUT_MS=1500/);
    await inFlight;
    await holder.query('ROLLBACK');
  });

  it('with the embedded server: SIGINT drains, commits, stops PostgreSQL, leaves no process behind and exits 0', async () => {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'bookapi-shutdown-embedded-'));
    fs.chmodSync(scratch, 0o755);
    const dataDir = path.join(scratch, 'postgres');
    const embedded = { dataDir, port: await freePort(), database: 'bookapi_test_shutdown' };
    const name = 'bookapi-shutdown-embedded';
    const app = await launch({
      EMBEDDED_PG_DATA_DIR: dataDir,
      EMBEDDED_PG_PORT: String(embedded.port),
      EMBEDDED_PG_DATABASE: embedded.database,
      DB_APPLICATION_NAME: name,
    });
    const server = new EmbeddedPostgresServer(embedded, {
      debug: () => undefined,
      log: () => undefined,
      warn: () => undefined,
    });
    const holder = await hold(server.url());
    const isbns = Array.from({ length: 3 }, isbn13);
    const inFlight = isbns.map((isbn) => post(app.baseUrl!, isbn));
    await until('3 INSERTs wait on the lock', async () => (await waitingOnLock(server.url(), name)) === 3);
    expect(postgresUsing(dataDir).length).toBeGreaterThan(0);

    app.proc.kill('SIGINT');
    await until('draining', () => app.output().includes('SIGINT received'));
    await request(app.baseUrl!).get('/health/ready').expect(503);
    await holder.query('COMMIT');
    await holder.end();
    await expect(Promise.all(inFlight)).resolves.toEqual([201, 201, 201]);
    await expect(app.exited).resolves.toEqual({ code: 0, signal: null });
    expect(postgresUsing(dataDir)).toEqual([]);
    expect(shutdownSteps(app.output())).toEqual([
      'SIGINT received',
      'In-flight requests finished',
      'DataSource destroyed',
      'Embedded PostgreSQL stopped',
    ]);

    // The commits survived the stop: start the cluster again and look.
    await server.start();
    try {
      const rows = await query<{ isbn: string }>(server.url(), 'SELECT isbn FROM books WHERE isbn = ANY($1)', [isbns]);
      expect(rows.map((row) => row.isbn).sort()).toEqual([...isbns].sort());
    } finally {
      await server.stop();
    }
    expect(postgresUsing(dataDir)).toEqual([]);
  });
});
