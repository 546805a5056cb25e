/**
 * Idempotency keys with a read replica configured (a REAL streaming standby, as in
 * read-replicas.replica-spec.ts): the key is looked up on the primary, inside the write's
 * transaction, so a retry that arrives right after the first write replays it even though the
 * standby has not seen that write. With the standby's replay paused, a read of the new book
 * reaching the standby misses: the control that a replica lookup would have missed too.
 */
import { randomUUID } from 'node:crypto';
import request, { type Response } from 'supertest';
import { bookInput } from '../factories/book.factory';
import { PgCluster } from '../helpers/pg-cluster';
import { serviceRoles } from '../helpers/service-roles';
import { SpawnedApp, spawnApp, waitForListening } from '../helpers/spawn-app';
import { query } from '../helpers/test-database';
import { until } from '../helpers/until';

const DATABASE = 'bookapi_test_idempotency_replicas';

describe('Idempotency-Key with a read replica (real streaming standby)', () => {
  let primary: PgCluster | undefined;
  let standby: PgCluster | undefined;
  let app: SpawnedApp | undefined;
  let baseUrl = '';
  let primaryUrl: URL;

  const api = () => request(baseUrl);
  const read = async (id: string, token?: string) => {
    const req = api().get(`/books/${id}`).timeout(10_000);
    if (token) void req.set('Consistency-Token', token);
    const res = await req;
    return { status: res.status, source: res.headers['x-read-source'] as string | undefined };
  };
  const count = async (sql: string, params: unknown[]) => (await query<{ n: number }>(primaryUrl, sql, params))[0].n;
  const eventually = (what: string, attempt: () => Promise<boolean>) =>
    until(what, attempt, 30_000, () => app?.output().slice(-3000) ?? '');
  const onStandby = async (id: string) => {
    const { status, source } = await read(id);
    return status === 200 && source === 'replica-1';
  };
  const withReplayPaused = async (work: () => Promise<void>) => {
    await query(standby!.url(DATABASE), 'SELECT pg_wal_replay_pause()');
    try {
      await work();
    } finally {
      await query(standby!.url(DATABASE), 'SELECT pg_wal_replay_resume()');
    }
  };

  function expectReplayOf(retry: Response, original: Response): void {
    expect({
      status: retry.status,
      replayed: retry.headers['idempotent-replayed'],
      text: retry.text,
      location: retry.headers.location,
      etag: retry.headers.etag,
    }).toEqual({
      status: original.status,
      replayed: 'true',
      text: original.text,
      location: original.headers.location,
      etag: original.headers.etag,
    });
  }

  beforeAll(async () => {
    primary = await PgCluster.create('idem-rr-primary');
    primaryUrl = await primary.createDatabase(DATABASE);
    standby = await primary.createStandby('idem-rr-standby', ["recovery_min_apply_delay = '300ms'"]);
    app = spawnApp({
      ...primary.serviceEnv(DATABASE),
      DATABASE_REPLICA_URLS: standby.url(DATABASE, serviceRoles().serving).toString(),
      DB_REPLICA_CHECK_INTERVAL_MS: '250',
      DB_REPLICA_TIMEOUT_MS: '500',
      // Replay is paused for a while below: the standby must stay eligible for the control reads.
      DB_REPLICA_MAX_LAG_MS: '600000',
      DB_SCHEMA_MODE: 'migrate',
      NODE_ENV: 'test',
      LOG_LEVEL: 'log',
      THROTTLE_ENABLED: 'false',
    });
    baseUrl = await waitForListening(app);
    const old = (await api().post('/books').send(bookInput()).expect(201)).body as { id: string };
    await eventually('the standby serves reads', () => onStandby(old.id));
  });

  afterAll(async () => {
    await app?.stop('SIGTERM');
    await standby?.destroy();
    await primary?.destroy();
  });

  it('a keyed POST retried at once replays, while the standby has not seen the book', async () => {
    await withReplayPaused(async () => {
      for (let i = 0; i < 5; i++) {
        const key = randomUUID();
        const book = bookInput();
        const created = await api().post('/books').set('Idempotency-Key', key).send(book).expect(201);
        const retried = await api().post('/books').set('Idempotency-Key', key).send(book);
        expectReplayOf(retried, created);
        const id = (created.body as { id: string }).id;
        // Control: the standby does not have the book, so a lookup there would have missed the key.
        await expect(read(id)).resolves.toEqual({ status: 404, source: 'replica-1' });
        // The replay's token is at or past the first write's commit: it reads the book back.
        const token = retried.headers['consistency-token'];
        expect(token).toMatch(/^[0-9A-F]{1,8}\/[0-9A-F]{1,8}$/);
        await expect(read(id, token)).resolves.toEqual({ status: 200, source: 'primary' });
        await expect(count('SELECT count(*)::int AS n FROM books WHERE isbn = $1', [book.isbn])).resolves.toBe(1);
      }
    });
  });

  it('keyed batch, PATCH and DELETE retried at once replay, with replay on the standby paused', async () => {
    const target = (await api().post('/books').send(bookInput()).expect(201)).body as { id: string };
    const doomed = (await api().post('/books').send(bookInput()).expect(201)).body as { id: string };
    await eventually(
      'the standby replays both creates',
      async () => (await onStandby(target.id)) && onStandby(doomed.id),
    );
    await withReplayPaused(async () => {
      const books = [bookInput(), bookInput()];
      const keys = [randomUUID(), randomUUID(), randomUUID()];
      const batch = () => api().post('/books/batch').set('Idempotency-Key', keys[0]).send({ books });
      const patch = () =>
        api()
          .patch(`/books/${target.id}`)
          .set('Idempotency-Key', keys[1])
          .set('If-Match', '"1"')
          .send({ title: 'Once' });
      const remove = () => api().delete(`/books/${doomed.id}`).set('Idempotency-Key', keys[2]);
      const firsts = [await batch().expect(201), await patch().expect(200), await remove().expect(204)];
      expectReplayOf(await batch(), firsts[0]);
      expectReplayOf(await patch(), firsts[1]);
      expectReplayOf(await remove(), firsts[2]);
      for (const book of books)
        await expect(count('SELECT count(*)::int AS n FROM books WHERE isbn = $1', [book.isbn])).resolves.toBe(1);
      await expect(count('SELECT version AS n FROM books WHERE id = $1', [target.id])).resolves.toBe(2);
      // Control: the standby still has the old version of the patched book.
      const stale = await api().get(`/books/${target.id}`).expect(200);
      expect([stale.headers['x-read-source'], (stale.body as { version: number }).version]).toEqual(['replica-1', 1]);
    });
  });

  it('20 keyed POSTs each retried at once, replay resumed (300 ms behind): every retry replays', async () => {
    const isbns: string[] = [];
    for (let i = 0; i < 20; i++) {
      const key = randomUUID();
      const book = bookInput();
      isbns.push(book.isbn);
      const created = await api().post('/books').set('Idempotency-Key', key).send(book).expect(201);
      expectReplayOf(await api().post('/books').set('Idempotency-Key', key).send(book), created);
    }
    await expect(count('SELECT count(*)::int AS n FROM books WHERE isbn = ANY($1)', [isbns])).resolves.toBe(20);
  });
});
