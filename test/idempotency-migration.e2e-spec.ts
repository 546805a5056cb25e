import request from 'supertest';
import { DataSource } from 'typeorm';
import { buildDatabaseConfig } from '../src/config/database.config';
import { buildDataSourceOptions, MIGRATIONS } from '../src/database/runtime/data-source-options';
import { requestFingerprint } from '../src/idempotency/fingerprint';
import { keyId } from '../src/idempotency/idempotency-store';
import { bookInput } from './factories/book.factory';
import { createTestDatabase, query, TestDatabase } from './helpers/test-database';
import { startTestApp, TestApp } from './helpers/test-app';

const HASH_MIGRATION = 'IdempotencyKeyHash1796600000000';

/** Runs `migrations` on `db` as the owner role, each in its own transaction or none, as db:prepare does. */
async function migrate(db: TestDatabase, migrations: typeof MIGRATIONS): Promise<void> {
  const config = buildDatabaseConfig({ DATABASE_URL: db.ownerUrl.toString() });
  const dataSource = new DataSource({ ...buildDataSourceOptions(config, db.ownerUrl), migrations, logging: false });
  await dataSource.initialize();
  try {
    await dataSource.runMigrations({ transaction: 'each' });
  } finally {
    await dataSource.destroy();
  }
}

/** Keys recorded before the key became one SHA-256 column are found, and replayed, after it. */
describe('migration IdempotencyKeyHash (real PostgreSQL)', () => {
  let db: TestDatabase | undefined;
  let app: TestApp | undefined;
  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  it('gives every existing key the id the service computes, and a recorded POST replays after it', async () => {
    db = await createTestDatabase('idem_migration');
    await migrate(
      db,
      MIGRATIONS.filter((migration) => migration.name !== HASH_MIGRATION),
    );

    // More rows than one batch, a scope outside ASCII, and a POST answered by the previous version.
    const rows = 12_001;
    await query(
      db.url,
      `INSERT INTO idempotency_keys (scope, method, route, key, fingerprint, status, body, expires_at)
       SELECT 'anonymous', 'DELETE', '/books/:id', 'old-' || n, '\\x00', 204, NULL, now() + interval '1 hour'
       FROM generate_series(1, $1) n`,
      [rows],
    );
    const scope = 'Zoë «ünïcode» 東京';
    await query(
      db.url,
      `INSERT INTO idempotency_keys (scope, method, route, key, fingerprint, status, body, expires_at)
       VALUES ($1, 'PATCH', '/books/:id', 'k', '\\x00', 200, '{}', now() + interval '1 hour')`,
      [scope],
    );
    const book = bookInput();
    const recorded = { id: '3f1c2a7e-8a4b-4c1d-9f7e-2b6d5c4a3e21', ...book, version: 1 };
    await query(
      db.url,
      `INSERT INTO idempotency_keys (scope, method, route, key, fingerprint, status, body, location, etag, expires_at)
       VALUES ('anonymous', 'POST', '/books', 'recorded-before', $1, 201, $2, $3, '"1"', now() + interval '1 hour')`,
      [requestFingerprint('POST', '/books', book), JSON.stringify(recorded), `/books/${recorded.id}`],
    );

    await migrate(db, MIGRATIONS);

    const ids = await query<{ scope: string; method: string; route: string; key: string; id: Buffer }>(
      db.url,
      `SELECT scope, method, route, key, id FROM idempotency_keys WHERE key IN ('old-1', 'old-12001', 'k', 'recorded-before')`,
    );
    expect(ids).toHaveLength(4);
    for (const row of ids) expect(row.id.equals(keyId(row.scope, row.method, row.route, row.key))).toBe(true);
    const [{ missing }] = await query<{ missing: number }>(
      db.url,
      `SELECT count(*)::int AS missing FROM idempotency_keys
       WHERE id IS DISTINCT FROM sha256(convert_to(concat_ws(E'\\n', scope, method, route, key), 'UTF8'))`,
    );
    expect(missing).toBe(0);
    const indexes = await query<{ name: string; definition: string }>(
      db.url,
      `SELECT indexname AS name, indexdef AS definition FROM pg_indexes WHERE tablename = 'idempotency_keys' ORDER BY 1`,
    );
    expect(indexes.map((index) => index.name)).toEqual(['idempotency_keys_expires_at_brin', 'idempotency_keys_pkey']);
    expect(indexes[0].definition).toContain('USING brin (expires_at)');
    expect(indexes[1].definition).toContain('USING btree (id)');

    app = await startTestApp(db, { DB_SCHEMA_MODE: 'migrate' });
    const retry = await request(app.baseUrl).post('/books').set('Idempotency-Key', 'recorded-before').send(book);
    expect([retry.status, retry.headers['idempotent-replayed'], retry.body]).toEqual([201, 'true', recorded]);
    expect([retry.headers.location, retry.headers.etag]).toEqual([`/books/${recorded.id}`, '"1"']);
    // The retry's own insert of the book ran and rolled back when its key was found recorded.
    await expect(
      query<{ n: number }>(db.url, 'SELECT count(*)::int AS n FROM books WHERE isbn = $1', [book.isbn]),
    ).resolves.toEqual([{ n: 0 }]);
  });
});
