import request, { Response } from 'supertest';
import { uniqueIsbn13 } from './factories/book.factory';
import { useClusterApp } from './helpers/cluster-app';
import { query } from './helpers/test-database';
import { until } from './helpers/until';

const APP_NAME = 'bookapi-outage-test';
/**
 * A request that waited for the frozen server would hang for good (statement_timeout is enforced
 * by the server), so giving up this late tells a hang from an answer on any machine; how soon it
 * answers (about 1.5 DB_PROBE_TIMEOUT_MS) is the bench's business, not a test's.
 */
const HANG_AFTER_MS = 10_000;
/** Recovery is polled: a deadline, not a measured time. */
const RECOVER_WITHIN_MS = 15_000;

const isbn13 = uniqueIsbn13;

const book = () => ({ title: 'Outage', author: 'Resilience', isbn: isbn13(), publishedYear: 2001 });

function expectUnavailable(res: Response): void {
  expect({ status: res.status, type: res.headers['content-type'] }).toEqual({
    status: 503,
    type: expect.stringMatching(/^application\/problem\+json/),
  });
  expect(res.body).toMatchObject({ status: 503, type: '/problems/service-unavailable' });
  expect(res.headers['retry-after']).toMatch(/^\d+$/);
}

/** Sends a request; a hang fails the test. */
function answered(send: () => request.Test): Promise<Response> {
  return send()
    .timeout(HANG_AFTER_MS)
    .then((res) => res);
}

/**
 * The built service against a private PostgreSQL 15 cluster that the test kills, stops,
 * freezes (SIGSTOP) and brings back. The service is never restarted in between.
 */
describe('resilience: database outages', () => {
  const fx = useClusterApp('outage', { DB_APPLICATION_NAME: APP_NAME });

  const appSessions = () =>
    query<{ pid: number; state: string }>(
      fx.cluster.url(),
      'SELECT pid, state FROM pg_stat_activity WHERE application_name = $1',
      [APP_NAME],
    );

  /** Several requests at once, so the pool holds several connections. */
  const warmPool = async () => {
    const answers = await Promise.all(Array.from({ length: 6 }, () => request(fx.baseUrl).get('/books?limit=1')));
    expect(answers.map((res) => res.status)).toEqual(Array(6).fill(200));
  };

  const expectAlive = () =>
    expect({ exitCode: fx.app.proc.exitCode, signal: fx.app.proc.signalCode }).toEqual({
      exitCode: null,
      signal: null,
    });

  it('is live and ready while PostgreSQL answers', async () => {
    await request(fx.baseUrl).get('/health/live').expect(200);
    const ready = await request(fx.baseUrl).get('/health/ready').expect(200);
    expect(ready.body).toMatchObject({
      status: 'ok',
      info: { database: { status: 'up' }, lifecycle: { status: 'up' } },
    });
  });

  it('survives pg_terminate_backend of its idle pool connections, and serves on new ones', async () => {
    await warmPool();
    const before = (await appSessions()).map((s) => s.pid);
    expect(before.length).toBeGreaterThan(0);
    const killed = await query<{ ok: boolean }>(
      fx.cluster.url(),
      'SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = $1',
      [APP_NAME],
    );
    expect(killed.map((row) => row.ok)).toEqual(before.map(() => true));

    // The pool drops each connection when its error arrives (the pool error handler); a request
    // that won the race against that event may get a 503, never a 500 or a dead process.
    const statuses: number[] = [];
    await until(
      'GET /books succeeds on a new connection',
      async () => {
        statuses.push((await request(fx.baseUrl).get('/books?limit=1')).status);
        return statuses[statuses.length - 1] === 200;
      },
      RECOVER_WITHIN_MS,
    );
    expect(statuses.filter((status) => status !== 200 && status !== 503)).toEqual([]);
    expect(fx.app.output()).toMatch(/Postgres pool raised an error/);
    const created = await request(fx.baseUrl).post('/books').send(book()).expect(201);
    await request(fx.baseUrl).get(`/books/${created.body.id}`).expect(200);
    await warmPool();
    expectAlive();
    const after = (await appSessions()).map((s) => s.pid);
    expect(after.some((pid) => before.includes(pid))).toBe(false);
  });

  it('answers 503 when its connection is killed in the middle of a transaction, then serves again', async () => {
    const holder = await import('pg').then(({ Client }) => new Client({ connectionString: fx.dbUrl.toString() }));
    await holder.connect();
    try {
      // The POST's INSERT waits for this lock inside its transaction.
      await holder.query('BEGIN; LOCK TABLE books IN SHARE MODE');
      const pending = request(fx.baseUrl).post('/books').send(book()).timeout(10_000);
      const answer = pending.then((res) => res);
      await until(
        'the POST waits on the lock',
        async () =>
          (
            await query(
              fx.cluster.url(),
              "SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'",
              [APP_NAME],
            )
          ).length === 1,
        5000,
      );
      await query(
        fx.cluster.url(),
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'",
        [APP_NAME],
      );
      expectUnavailable(await answer);
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
    await request(fx.baseUrl).post('/books').send(book()).expect(201);
    expectAlive();
  });

  it('answers 503 problem+json while PostgreSQL is stopped, and recovers when it returns', async () => {
    await warmPool();
    const existing = await request(fx.baseUrl).post('/books').send(book()).expect(201);
    await fx.cluster.stop('fast');

    for (const send of [
      () => request(fx.baseUrl).get('/books'),
      () => request(fx.baseUrl).get(`/books/${existing.body.id}`),
      () => request(fx.baseUrl).post('/books').send(book()),
      () => request(fx.baseUrl).get('/health/ready'),
    ]) {
      expectUnavailable(await answered(send));
    }
    const ready = await request(fx.baseUrl).get('/health/ready').expect(503);
    // The dependency and its state; the driver's words (ECONNREFUSED 127.0.0.1:port) stay in the log.
    expect(ready.body.detail).toBe('Not ready: database: unreachable');
    expect(ready.text).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|connect/);
    await request(fx.baseUrl).get('/health/live').expect(200);

    await fx.cluster.start();
    await until(
      'GET /books succeeds again',
      async () => (await request(fx.baseUrl).get('/books')).status === 200,
      RECOVER_WITHIN_MS,
    );
    await until(
      'ready again',
      async () => (await request(fx.baseUrl).get('/health/ready')).status === 200,
      RECOVER_WITHIN_MS,
    );
    await request(fx.baseUrl).post('/books').send(book()).expect(201);
    expectAlive();
  });

  it('answers 503 problem+json while PostgreSQL is frozen (SIGSTOP), never hangs, and recovers', async () => {
    await warmPool();
    const existing = await request(fx.baseUrl).post('/books').send(book()).expect(201);
    fx.cluster.pause();
    try {
      // Twice the pool size at once: idle connections hang, new ones get no answer, and the rest queue for the pool.
      for (let round = 0; round < 2; round++) {
        const answers = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            answered(() =>
              i % 3 === 0
                ? request(fx.baseUrl).post('/books').send(book())
                : i % 3 === 1
                  ? request(fx.baseUrl).get(`/books/${existing.body.id}`)
                  : request(fx.baseUrl).get('/books'),
            ),
          ),
        );
        for (const res of answers) expectUnavailable(res);
      }
      expectUnavailable(await answered(() => request(fx.baseUrl).get('/health/ready')));
      await request(fx.baseUrl).get('/health/live').expect(200);
    } finally {
      fx.cluster.resume();
    }
    await until(
      'GET /books succeeds again',
      async () => (await request(fx.baseUrl).get('/books')).status === 200,
      RECOVER_WITHIN_MS,
    );
    await request(fx.baseUrl).post('/books').send(book()).expect(201);
    await request(fx.baseUrl).get('/health/ready').expect(200);
    expectAlive();
  });

  it('comes back after an immediate restart without being restarted itself', async () => {
    await warmPool();
    await fx.cluster.restart('immediate');
    await until(
      'GET /books succeeds again',
      async () => (await request(fx.baseUrl).get('/books')).status === 200,
      RECOVER_WITHIN_MS,
    );
    await request(fx.baseUrl).post('/books').send(book()).expect(201);
    expectAlive();
    expect(fx.app.output()).not.toMatch(/Startup failed|Unhandled|uncaught/i);
  });
});
