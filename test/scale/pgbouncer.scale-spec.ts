import { Client } from 'pg';
import { MIGRATIONS } from '../../src/database/runtime/data-source-options';
import request from 'supertest';
import { bookInput, bookRow, countBooks } from '../factories/book.factory';
import { PgBouncer } from '../helpers/pgbouncer';
import { PgCluster } from '../helpers/pg-cluster';
import { serviceRoles } from '../helpers/service-roles';
import { spawnApp, SpawnedApp, waitForListening } from '../helpers/spawn-app';
import { query } from '../helpers/test-database';
import { until } from '../helpers/until';

const DATABASE = 'bookapi_test_pgbouncer';
const APP_NAME = 'bookapi-pgbouncer-test';

/**
 * Three instances of the built service behind a real PgBouncer 1.18 in transaction mode
 * (pool of 4 server connections), in front of a private PostgreSQL: DATABASE_URL is the
 * pooler, DATABASE_DIRECT_URL the server.
 */
describe('behind PgBouncer in transaction mode', () => {
  let cluster: PgCluster;
  let bouncer: PgBouncer;
  const apps: SpawnedApp[] = [];
  let baseUrl: string;

  const env = (extra: Record<string, string> = {}) => ({
    ...bouncer.serviceEnv(cluster, DATABASE),
    NODE_ENV: 'test',
    LOG_LEVEL: 'log',
    THROTTLE_ENABLED: 'false',
    DB_APPLICATION_NAME: APP_NAME,
    DB_STATEMENT_TIMEOUT_MS: '1500',
    DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: '5000',
    ...extra,
  });

  beforeAll(async () => {
    cluster = await PgCluster.create('pgbouncer');
    bouncer = await PgBouncer.start(cluster.port, { poolSize: 4 });
  });

  afterAll(async () => {
    await Promise.all(apps.map((app) => app.stop('SIGTERM')));
    await bouncer?.stop();
    await cluster?.destroy();
  });

  it('without DB_POOLER=transaction, startup stops with one line naming the refused parameter and the fix', async () => {
    const app = spawnApp({ ...env(), DB_POOLER: 'none', DB_SCHEMA_MODE: 'none', DB_STARTUP_DEADLINE_MS: '3000' });
    const { code } = await app.exited;
    expect(code).toBe(1);
    expect(app.output()).toMatch(/08P01.*unsupported startup parameter.*set DB_POOLER=transaction/);
  });

  it('three instances started at once in migrate mode all become ready, and the migrations run once', async () => {
    apps.push(...[1, 2, 3].map(() => spawnApp(env())));
    const urls = await Promise.all(apps.map((app) => waitForListening(app, 45_000)));
    baseUrl = urls[0];
    for (const url of urls) await request(url).get('/health/ready').expect(200);

    const migrations = await query<{ name: string }>(cluster.url(DATABASE), 'SELECT name FROM migrations ORDER BY id');
    expect(migrations.map((m) => m.name)).toEqual(MIGRATIONS.map((migration) => migration.name));
    const applied = apps.filter((app) => /Applied migrations/.test(app.output()));
    expect(applied).toHaveLength(1);
    expect(apps.map((app) => /No pending migrations/.test(app.output())).filter(Boolean)).toHaveLength(2);
  });

  it('leaves no advisory lock held and no server connection stuck in a transaction', async () => {
    const locks = await query(cluster.url(), "SELECT pid, objid FROM pg_locks WHERE locktype = 'advisory'");
    expect(locks).toEqual([]);
    const stuck = await query<{ state: string }>(
      cluster.url(),
      "SELECT state FROM pg_stat_activity WHERE datname = $1 AND state NOT IN ('idle') AND pid <> pg_backend_pid()",
      [DATABASE],
    );
    expect(stuck).toEqual([]);
  });

  it('sets the timeouts as defaults of the role in the database, which pooled server connections carry', async () => {
    const settings = await query<{ setconfig: string[] }>(
      cluster.url(),
      `SELECT setconfig FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase WHERE d.datname = $1`,
      [DATABASE],
    );
    expect(settings.map((s) => [...s.setconfig].sort())).toEqual([
      ['idle_in_transaction_session_timeout=5000', 'statement_timeout=1500'],
    ]);
    const client = new Client({ connectionString: bouncer.url(DATABASE).toString() });
    await client.connect();
    try {
      const { rows } = await client.query<{ timeout: string }>(
        "SELECT current_setting('statement_timeout') AS timeout",
      );
      expect(rows).toEqual([{ timeout: '1500ms' }]);
    } finally {
      await client.end();
    }
  });

  it('logs the serving role in through PgBouncer with its password, and refuses a wrong one', async () => {
    const client = new Client({ connectionString: bouncer.url(DATABASE).toString() });
    await client.connect();
    try {
      const { rows } = await client.query<{ user: string; rolsuper: boolean }>(
        'SELECT current_user AS user, rolsuper FROM pg_roles WHERE rolname = current_user',
      );
      expect(rows).toEqual([{ user: serviceRoles().serving.name, rolsuper: false }]);
    } finally {
      await client.end();
    }
    const forged = bouncer.url(DATABASE);
    forged.password = 'not-the-password';
    const intruder = new Client({ connectionString: forged.toString() });
    // PgBouncer answers a failed SCRAM exchange with 08P01 "SASL authentication failed".
    await expect(intruder.connect()).rejects.toThrow(/authentication failed/);
    await intruder.end().catch(() => undefined);
    // The service's own server connections are all the serving role's.
    const roles = await query<{ usename: string }>(
      cluster.url(),
      'SELECT DISTINCT usename FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [DATABASE],
    );
    expect(roles).toEqual([{ usename: serviceRoles().serving.name }]);
  });

  it('serves create, read, list, PATCH with If-Match, DELETE and a batch through the pooler', async () => {
    const created = await request(baseUrl)
      .post('/books')
      .send(bookInput({ title: 'Pooled' }))
      .expect(201);
    const id = created.body.id as string;
    await request(baseUrl).get(`/books/${id}`).expect(200);
    const list = await request(apps[1].baseUrl!).get('/books?limit=5').expect(200);
    expect((list.body as { data: { id: string }[] }).data.map((b) => b.id)).toContain(id);
    await request(baseUrl).patch(`/books/${id}`).send({ title: 'No ETag' }).expect(428);
    const patched = await request(apps[2].baseUrl!)
      .patch(`/books/${id}`)
      .set('If-Match', created.headers.etag)
      .send({ title: 'Pooled, changed' })
      .expect(200);
    await request(baseUrl).patch(`/books/${id}`).set('If-Match', created.headers.etag).send({ title: 'x' }).expect(412);
    await expect(bookRow(cluster.url(DATABASE), id)).resolves.toMatchObject({ title: 'Pooled, changed', version: 2 });

    const before = await countBooks(cluster.url(DATABASE));
    await request(baseUrl)
      .post('/books/batch')
      .send({ books: Array.from({ length: 10 }, () => bookInput()) })
      .expect(201);
    await expect(countBooks(cluster.url(DATABASE))).resolves.toBe(before + 10);

    await request(baseUrl).delete(`/books/${id}`).set('If-Match', patched.headers.etag).expect(204);
    await expect(bookRow(cluster.url(DATABASE), id)).resolves.toBeUndefined();
  });

  it('20 concurrent PATCHes with one ETag across the three instances: one 200, nineteen 412, version up by one', async () => {
    const created = await request(baseUrl).post('/books').send(bookInput()).expect(201);
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        request(apps[i % 3].baseUrl!)
          .patch(`/books/${created.body.id}`)
          .set('If-Match', created.headers.etag)
          .send({ title: `writer ${i}` }),
      ),
    );
    const statuses = answers.map((res) => res.status).sort();
    expect(statuses).toEqual([200, ...Array(19).fill(412)]);
    await expect(bookRow(cluster.url(DATABASE), created.body.id)).resolves.toMatchObject({ version: 2 });
  });

  it('an Idempotency-Key retried at once on the three instances makes one book, and the others replay', async () => {
    const book = bookInput();
    const key = `pgbouncer-${book.isbn}`;
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        request(apps[i % 3].baseUrl!)
          .post('/books')
          .set('Idempotency-Key', key)
          .send(book),
      ),
    );
    const created = answers.filter((res) => res.status === 201);
    expect(created.filter((res) => res.headers['idempotent-replayed'] === undefined)).toHaveLength(1);
    // Any other answer is the documented 409 for a key still in flight.
    for (const res of answers) expect([201, 409]).toContain(res.status);
    const retry = await request(apps[2].baseUrl!).post('/books').set('Idempotency-Key', key).send(book).expect(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    const rows = await query<{ n: number }>(
      cluster.url(DATABASE),
      'SELECT count(*)::int AS n FROM books WHERE isbn = $1',
      [book.isbn],
    );
    expect(rows[0].n).toBe(1);
  });

  it('a statement timeout fires for a single read and for a write, and the pool serves on', async () => {
    const created = await request(baseUrl).post('/books').send(bookInput()).expect(201);
    const holder = new Client({ connectionString: cluster.url(DATABASE).toString() });
    await holder.connect();
    try {
      // Both wait for this lock longer than DB_STATEMENT_TIMEOUT_MS=1500 allows.
      await holder.query('BEGIN; LOCK TABLE books IN ACCESS EXCLUSIVE MODE');
      const [read, write] = await Promise.all([
        request(baseUrl).get(`/books/${created.body.id}`).timeout(10_000),
        request(baseUrl).post('/books').send(bookInput()).timeout(10_000),
      ]);
      for (const res of [read, write]) {
        expect(res.status).toBe(503);
        expect(res.body).toMatchObject({ status: 503, detail: expect.stringMatching(/did not answer in time/) });
      }
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
    await request(baseUrl).get(`/books/${created.body.id}`).expect(200);
  });

  it('answers 503 while PostgreSQL behind the pooler is frozen or stopped, and serves again after', async () => {
    const created = await request(baseUrl).post('/books').send(bookInput()).expect(201);
    cluster.pause();
    try {
      const answers = await Promise.all([
        request(baseUrl).get(`/books/${created.body.id}`).timeout(10_000),
        request(baseUrl).post('/books').send(bookInput()).timeout(10_000),
        request(baseUrl).get('/health/ready').timeout(10_000),
      ]);
      expect(answers.map((res) => res.status)).toEqual([503, 503, 503]);
    } finally {
      cluster.resume();
    }
    await until('served after the freeze', async () => (await request(baseUrl).get('/books')).status === 200, 10_000);

    await cluster.stop('fast');
    const down = await request(baseUrl).post('/books').send(bookInput()).timeout(10_000);
    expect(down.status).toBe(503);
    await cluster.start();
    await until('served after the restart', async () => (await request(baseUrl).get('/books')).status === 200, 10_000);
    await request(baseUrl).post('/books').send(bookInput()).expect(201);
    for (const app of apps) expect(app.proc.exitCode).toBeNull();
  });
});
