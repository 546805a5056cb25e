import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import request from 'supertest';
import { createDatabaseIfMissing } from '../src/database/lifecycle/create-database';
import { InvalidDatabaseNameError } from '../src/database/lifecycle/database-name';
import { withDatabase } from '../src/lib/url';
import { EmbeddedPostgresServer } from '../src/database/embedded/embedded-postgres.server';
import { uniqueIsbn13 } from './factories/book.factory';
import { freePort } from '../src/lib/free-port';
import { spawnApp } from './helpers/spawn-app';
import { startTestApp, TestApp } from './helpers/test-app';
import { adminUrl, createTestDatabase, query, testDatabaseName } from './helpers/test-database';

const book = (isbn = '9780441172719') => ({ title: 'Dune', author: 'Frank Herbert', isbn, publishedYear: 1965 });

async function databasesNamed(name: string): Promise<number> {
  const rows = await query<{ n: string }>(adminUrl(), 'SELECT count(*) AS n FROM pg_database WHERE datname = $1', [
    name,
  ]);
  return Number(rows[0].n);
}

describe('DatabaseModule lifecycle', () => {
  const apps: TestApp[] = [];
  const drops: Array<() => Promise<void>> = [];
  const start = async (url: URL, env: Record<string, string> = {}) => {
    const app = await startTestApp(url, env);
    apps.push(app);
    return app;
  };

  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
    for (const drop of drops.splice(0)) await drop();
  });

  it('creates a missing database, and a second start finds it with its data', async () => {
    const db = await createTestDatabase('create', { create: false });
    drops.push(db.drop);
    await expect(databasesNamed(db.name)).resolves.toBe(0);

    const first = await start(db.url);
    await expect(databasesNamed(db.name)).resolves.toBe(1);
    const created = await request(first.baseUrl).post('/books').send(book()).expect(201);
    await first.close();
    apps.pop();

    const second = await start(db.url);
    await expect(databasesNamed(db.name)).resolves.toBe(1);
    const read = await request(second.baseUrl).get(`/books/${created.body.id}`).expect(200);
    expect(read.body).toMatchObject({ title: 'Dune', isbn: '9780441172719' });
  });

  it('creates a hostile name under exactly that name, and works on it', async () => {
    const name = `Book "Store" ü test ${randomBytes(3).toString('hex')}`;
    const db = await createTestDatabase('unused', { name, create: false });
    drops.push(db.drop);

    const app = await start(db.url);
    const rows = await query<{ datname: string }>(adminUrl(), 'SELECT datname FROM pg_database WHERE datname = $1', [
      name,
    ]);
    expect(rows).toEqual([{ datname: name }]);
    const created = await request(app.baseUrl).post('/books').send(book()).expect(201);
    const inside = await query<{ id: string }>(db.url, 'SELECT id FROM books');
    expect(inside).toEqual([{ id: created.body.id }]);
  });

  it('refuses a 64-byte name before any SQL runs', async () => {
    const name = `test_${'x'.repeat(59)}`;
    expect(Buffer.byteLength(name)).toBe(64);
    // Nothing listens on this port: had a connection been tried, the error would be ECONNREFUSED.
    const nowhere = new URL(`postgres://postgres:pw@127.0.0.1:${await freePort()}/postgres`);
    await expect(
      createDatabaseIfMissing(nowhere, name, { connectTimeoutMs: 1000, lockTimeoutMs: 1000, applicationName: 't' }),
    ).rejects.toBeInstanceOf(InvalidDatabaseNameError);

    await expect(start(withDatabase(adminUrl(), name))).rejects.toThrow(/64 bytes long; PostgreSQL allows at most 63/);
    await expect(databasesNamed(name.slice(0, 63))).resolves.toBe(0);
  });

  it('lets 8 instances bootstrap one fresh database at once: all succeed, one database, schema intact', async () => {
    const db = await createTestDatabase('race', { create: false });
    drops.push(db.drop);
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => start(db.url, { DB_POOL_MAX: '2' })));
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    await expect(databasesNamed(db.name)).resolves.toBe(1);

    const columns = await query<{ column_name: string }>(
      db.url,
      `SELECT column_name FROM information_schema.columns WHERE table_name = 'books' ORDER BY column_name`,
    );
    expect(columns.map((c) => c.column_name)).toEqual([
      'author',
      'created_at',
      'created_by',
      'id',
      'isbn',
      'page_count',
      'published_year',
      'search_vector',
      'summary',
      'title',
      'updated_at',
      'updated_by',
      'version',
    ]);
    const unique = await query(
      db.url,
      `SELECT 1 FROM pg_indexes WHERE tablename = 'books' AND indexname = 'books_isbn_key'`,
    );
    expect(unique).toHaveLength(1);
    // Every instance serves from the same schema.
    await Promise.all(apps.map((app) => request(app.baseUrl).post('/books').send(book(uniqueIsbn13())).expect(201)));
  });

  it('fails fast on a wrong password: non-zero exit without one retry, one line, password nowhere', async () => {
    const secret = `wrong-${randomBytes(8).toString('hex')}`;
    const url = new URL(process.env.BOOKAPI_TEST_EMBEDDED_ADMIN_URL!);
    url.password = secret;
    url.pathname = `/${testDatabaseName('badpw')}`;
    const app = spawnApp({ DATABASE_URL: url.toString(), NODE_ENV: 'development' });
    const { code } = await app.exited;

    expect(code).not.toBe(0);
    const output = app.output();
    // Fast means no backoff at all (no timing asserted: the machine may be loaded): 28P01 is not transient.
    expect(output).not.toMatch(/not reachable yet|attempt \d+, next in/);
    expect(output).toMatch(/Startup failed: Password authentication failed for user "postgres" .*\(28P01\)/);
    expect(output).not.toContain(secret);
    expect(output.split('\n').filter((line) => /^\s+at /.test(line))).toEqual([]);
  });

  it('names the bad variable and exits when the configuration is invalid', async () => {
    const app = spawnApp({ DB_POOL_MAX: 'lots', DATABASE_URL: 'postgres://u:topsecret@127.0.0.1:1/x_test' });
    const { code } = await app.exited;
    expect(code).toBe(1);
    expect(app.output()).toMatch(/Startup failed: Invalid configuration: DB_POOL_MAX must be an integer/);
    expect(app.output()).not.toContain('topsecret');
  });

  it('waits for a PostgreSQL that is down at start and comes up seconds later', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bookapi-late-pg-'));
    fs.chmodSync(dir, 0o755);
    const quiet = { debug: () => undefined, log: () => undefined, warn: () => undefined };
    const server = new EmbeddedPostgresServer(
      { dataDir: path.join(dir, 'cluster'), port: await freePort(), database: 'postgres' },
      quiet,
    );
    try {
      await server.start(); // initdb once, so the later start is only the server coming up
      await server.stop();
      const url = server.url(testDatabaseName('late'));
      const probe = new Client({ connectionString: url.toString() });
      await expect(probe.connect()).rejects.toMatchObject({ code: 'ECONNREFUSED' });

      const booting = startTestApp(url, { DB_STARTUP_DEADLINE_MS: '30000' });
      await new Promise((resolve) => setTimeout(resolve, 3000));
      await server.start();
      const app = await booting;
      apps.push(app);
      await request(app.baseUrl).post('/books').send(book()).expect(201);
      await app.close();
      apps.pop();
    } finally {
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('leaves no connection of its own in pg_stat_activity after app.close()', async () => {
    const db = await createTestDatabase('close');
    drops.push(db.drop);
    const applicationName = `bookapi-close-${randomBytes(4).toString('hex')}`;
    const app = await start(db.url, { DB_APPLICATION_NAME: applicationName, DB_POOL_MAX: '4' });
    await Promise.all(
      Array.from({ length: 4 }, () => request(app.baseUrl).post('/books').send(book(uniqueIsbn13())).expect(201)),
    );
    const sessions = () =>
      query<{ n: string }>(adminUrl(), 'SELECT count(*) AS n FROM pg_stat_activity WHERE application_name LIKE $1', [
        `${applicationName}%`,
      ]).then((rows) => Number(rows[0].n));
    await expect(sessions()).resolves.toBeGreaterThan(0);
    await app.close();
    apps.pop();
    // A backend leaves pg_stat_activity as it exits, a moment after the client's Terminate has closed
    // the socket: poll briefly. A connection the app kept open would stay for good.
    let left = await sessions();
    for (let tries = 0; left > 0 && tries < 50; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      left = await sessions();
    }
    expect(left).toBe(0);
  });
});
