import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { IDEMPOTENCY_PRUNE_LOCK_KEY } from '../src/database/lifecycle/advisory-lock';
import { requestFingerprint } from '../src/idempotency/fingerprint';
import { IdempotencyPruner } from '../src/idempotency/idempotency-pruner';
import { keyId } from '../src/idempotency/idempotency-store';
import { bookInput } from './factories/book.factory';
import { useBooksApp, useTestDatabase } from './helpers/books-app';
import { expectProblem } from './helpers/expect-problem';
import { query } from './helpers/test-database';
import { until } from './helpers/until';

/** The suites run without credentials, as the other in-process suites do. */
const ENV = { AUTH_DISABLED: 'true' };

/** Concurrent retries, the in-flight answer, pruning and enforcement, on two instances of one database. */
describe('Idempotency-Key: concurrency and expiry (real PostgreSQL, two instances)', () => {
  const database = useTestDatabase('idempotency_conc');
  const first = useBooksApp(database, ENV);
  const second = useBooksApp(database, { ...ENV, IDEMPOTENCY_WAIT_MS: '300', IDEMPOTENCY_KEY_REQUIRED: 'true' });
  const apps = [first, second];

  const count = async (sql: string, params: unknown[] = []) =>
    (await query<{ n: number }>(database.db.url, sql, params))[0].n;

  /** A session of the test's own, to hold locks as a request in flight (or a pruner) would. */
  async function holding<T>(sql: string, params: unknown[], work: () => Promise<T>): Promise<T> {
    const client = new Client({ connectionString: database.db.url.toString() });
    await client.connect();
    try {
      await client.query('BEGIN');
      await client.query(sql, params);
      return await work();
    } finally {
      await client.query('ROLLBACK').catch(() => undefined);
      await client.end();
    }
  }

  it('10 concurrent retries across 2 instances make exactly one book and one key', async () => {
    const key = randomUUID();
    const book = bookInput();
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => apps[i % 2].api().post('/books').set('Idempotency-Key', key).send(book)),
    );
    const created = answers.filter((res) => res.status === 201);
    const ran = created.filter((res) => res.headers['idempotent-replayed'] === undefined);
    expect(ran).toHaveLength(1);
    for (const res of created) expect(res.text).toBe(ran[0].text);
    // Any other answer is the documented "still in flight": 409 with Retry-After, never a second write.
    for (const res of answers.filter((r) => r.status !== 201)) {
      expectProblem(res, 409, { type: 'idempotency-key-in-flight' });
      expect(res.headers['retry-after']).toBe('1');
    }
    await expect(count('SELECT count(*)::int AS n FROM books WHERE isbn = $1', [book.isbn])).resolves.toBe(1);
    await expect(count('SELECT count(*)::int AS n FROM idempotency_keys WHERE key = $1', [key])).resolves.toBe(1);
  });

  it('a retry while the first request holds its key waits, then gets 409 with Retry-After; later it runs', async () => {
    const key = randomUUID();
    const book = bookInput();
    // A request in flight holds its key's row, inserted and not yet committed.
    const inFlight = await holding(
      `INSERT INTO idempotency_keys (id, scope, method, route, key, fingerprint, status, body, expires_at)
       VALUES ($1, 'anonymous', 'POST', '/books', $2, $3, 201, '{}', now() + interval '1 day')`,
      [keyId('anonymous', 'POST', '/books', key), key, requestFingerprint('POST', '/books', book)],
      () => second.api().post('/books').set('Idempotency-Key', key).send(book),
    );
    expectProblem(inFlight, 409, { type: 'idempotency-key-in-flight' });
    expect(inFlight.headers['retry-after']).toBe('1');
    await expect(count('SELECT count(*)::int AS n FROM books WHERE isbn = $1', [book.isbn])).resolves.toBe(0);
    await second.api().post('/books').set('Idempotency-Key', key).send(book).expect(201);
  });

  it('a retry whose record waits on the first try in flight rolls its own write back when that commits, and replays', async () => {
    const key = randomUUID();
    const book = bookInput();
    const recorded = { id: randomUUID(), ...book };
    const holder = new Client({ connectionString: database.db.url.toString() });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query(
        `INSERT INTO idempotency_keys (id, scope, method, route, key, fingerprint, status, body, location, expires_at)
         VALUES ($1, 'anonymous', 'POST', '/books', $2, $3, 201, $4, $5, now() + interval '1 day')`,
        [
          keyId('anonymous', 'POST', '/books', key),
          key,
          requestFingerprint('POST', '/books', book),
          JSON.stringify(recorded),
          `/books/${recorded.id}`,
        ],
      );
      const pending = first
        .api()
        .post('/books')
        .set('Idempotency-Key', key)
        .send(book)
        .then((res) => res);
      await until(
        'the retry waits on the key held by the first try',
        async () =>
          (await count(
            `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
          )) > 0,
      );
      await holder.query('COMMIT');
      const res = await pending;
      expect([res.status, res.headers['idempotent-replayed'], res.body]).toEqual([201, 'true', recorded]);
      expect(res.headers.location).toBe(`/books/${recorded.id}`);
    } finally {
      await holder.end();
    }
    // The retry had inserted its book before it waited: that rolled back with it.
    await expect(count('SELECT count(*)::int AS n FROM books WHERE isbn = $1', [book.isbn])).resolves.toBe(0);
    await expect(count('SELECT count(*)::int AS n FROM idempotency_keys WHERE key = $1', [key])).resolves.toBe(1);
  });

  /**
   * A retry's write runs before its key is recorded, so an answer can commit while it runs. These
   * make that answer appear while a PATCH waits on the book's row lock: it must roll back its own
   * write and replay that answer.
   */
  describe('an answer recorded while the write runs', () => {
    const title = (id: string) =>
      query<{ title: string; version: number }>(database.db.url, 'SELECT title, version FROM books WHERE id = $1', [
        id,
      ]);

    /** Lock holders are ended after each case too, so a case that fails midway leaves no lock to the next. */
    const holders: Client[] = [];
    afterEach(async () => {
      for (const holder of holders.splice(0)) await holder.end().catch(() => undefined);
    });

    /** Another session's row lock on the book, held until the case ends it; resolves once the PATCH waits on it. */
    async function patchBlockedOn(id: string, key: string, lockSql: string) {
      const holder = new Client({ connectionString: database.db.url.toString() });
      holders.push(holder);
      await holder.connect();
      await holder.query('BEGIN');
      await holder.query(lockSql, [id]);
      const patch = { title: 'Retried edition' };
      const answer = first.api().patch(`/books/${id}`).set('If-Match', '"1"').set('Idempotency-Key', key).send(patch);
      const pending = answer.then((res) => res);
      for (let waited = 0; ; waited += 20) {
        const waiting = await count(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
        );
        if (waiting > 0) break;
        if (waited > 10_000) throw new Error('the PATCH never waited on the book row lock');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const recorded = { id, title: 'Recorded elsewhere' };
      const record = (client: Client | URL) => {
        const sql = `INSERT INTO idempotency_keys (id, scope, method, route, key, fingerprint, status, body, etag, expires_at)
          VALUES ($4, 'anonymous', 'PATCH', '/books/:id', $1, $2, 200, $3, '"2"', now() + interval '1 day')`;
        const params = [
          key,
          requestFingerprint('PATCH', `/books/${id}`, patch),
          JSON.stringify(recorded),
          keyId('anonymous', 'PATCH', '/books/:id', key),
        ];
        return client instanceof URL ? query(client, sql, params) : client.query(sql, params);
      };
      return { holder, pending, recorded, record };
    }

    it('a write that succeeds rolls back and replays it (the key row conflicts)', async () => {
      const book = (await first.api().post('/books').send(bookInput()).expect(201)).body as {
        id: string;
        title: string;
      };
      const key = randomUUID();
      const { holder, pending, recorded, record } = await patchBlockedOn(
        book.id,
        key,
        'SELECT 1 FROM books WHERE id = $1 FOR UPDATE',
      );
      await record(database.db.url);
      await holder.query('ROLLBACK');
      await holder.end();
      const res = await pending;
      expect([res.status, res.headers['idempotent-replayed'], res.body]).toEqual([200, 'true', recorded]);
      await expect(title(book.id)).resolves.toEqual([{ title: book.title, version: 1 }]);
      await expect(count('SELECT count(*)::int AS n FROM idempotency_keys WHERE key = $1', [key])).resolves.toBe(1);
    });

    it('a write that fails its own check (412) replays it instead', async () => {
      const book = (await first.api().post('/books').send(bookInput()).expect(201)).body as { id: string };
      const key = randomUUID();
      const { holder, pending, recorded, record } = await patchBlockedOn(
        book.id,
        key,
        `UPDATE books SET title = 'Recorded elsewhere', version = version + 1 WHERE id = $1`,
      );
      await record(holder);
      await holder.query('COMMIT');
      await holder.end();
      const res = await pending;
      expect([res.status, res.headers['idempotent-replayed'], res.body]).toEqual([200, 'true', recorded]);
      await expect(title(book.id)).resolves.toEqual([{ title: 'Recorded elsewhere', version: 2 }]);
    });
  });

  it('with IDEMPOTENCY_KEY_REQUIRED a POST without a key is a 400, and the OpenAPI header says so', async () => {
    const book = bookInput();
    expectProblem(await second.api().post('/books').send(book), 400, { type: 'invalid-idempotency-key' });
    expectProblem(
      await second
        .api()
        .post('/books/batch')
        .send({ books: [book] }),
      400,
      {
        type: 'invalid-idempotency-key',
      },
    );
    await first.api().post('/books').send(book).expect(201);
    const doc = (await second.api().get('/docs-json').expect(200)).body as {
      paths: Record<string, Record<string, { parameters: { name: string; required: boolean }[] }>>;
    };
    const header = (method: string, path: string) =>
      doc.paths[path][method].parameters.find((p) => p.name === 'Idempotency-Key');
    expect(header('post', '/books')?.required).toBe(true);
    expect(header('delete', '/books/{id}')?.required).toBe(false);
  });

  it('pruning removes only expired keys, in batches, one instance at a time, while keyed writes go on', async () => {
    const expired = 1200;
    await query(
      database.db.url,
      `INSERT INTO idempotency_keys (id, scope, method, route, key, fingerprint, status, body, expires_at)
       SELECT sha256(('expired-' || n)::bytea), 'anonymous', 'POST', '/books', 'expired-' || n, '\\x00', 201, '{}',
         now() - interval '1 minute'
       FROM generate_series(1, $1) n`,
      [expired],
    );
    const pruners = apps.map((app) => app.app.app.get(IdempotencyPruner));
    // While another instance holds the lock, a batch is skipped, not waited for.
    await expect(
      holding('SELECT pg_advisory_xact_lock($1)', [IDEMPOTENCY_PRUNE_LOCK_KEY], () => pruners[0].pruneBatch(100)),
    ).resolves.toBeUndefined();
    await expect(pruners[0].pruneBatch(100)).resolves.toBe(100);

    const writes = Array.from({ length: 40 }, (_, i) =>
      apps[i % 2].api().post('/books').set('Idempotency-Key', `fresh-${i}-${randomUUID()}`).send(bookInput()),
    );
    const [answers, deleted] = await Promise.all([
      Promise.all(writes),
      Promise.all(pruners.map((pruner) => pruner.pruneExpired(50))),
    ]);
    for (const res of answers) expect(res.status).toBe(201);
    expect(deleted[0] + deleted[1]).toBeLessThanOrEqual(expired - 100);
    // A round can stop early when the other instance holds the lock; the next round finishes the job.
    await pruners[1].pruneExpired(50);
    await expect(count(`SELECT count(*)::int AS n FROM idempotency_keys WHERE key LIKE 'expired-%'`)).resolves.toBe(0);
    await expect(count(`SELECT count(*)::int AS n FROM idempotency_keys WHERE key LIKE 'fresh-%'`)).resolves.toBe(40);
  });

  it('an expired key that is still stored starts a new request', async () => {
    const key = randomUUID();
    await first.api().post('/books').set('Idempotency-Key', key).send(bookInput()).expect(201);
    await query(
      database.db.url,
      `UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE key = $1`,
      [key],
    );
    const again = await first.api().post('/books').set('Idempotency-Key', key).send(bookInput()).expect(201);
    expect(again.headers['idempotent-replayed']).toBeUndefined();
    const [row] = await query<{ live: boolean }>(
      database.db.url,
      "SELECT expires_at > now() + interval '23 hours' AS live FROM idempotency_keys WHERE key = $1",
      [key],
    );
    expect(row.live).toBe(true);
  });
});
