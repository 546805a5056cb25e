/**
 * Schema changes never block traffic: `npm run db:prepare` runs a pending migration while a long
 * transaction holds a lock on books. The migration must fail fast with a clear message (or wait)
 * while reads and writes keep being served, and a later run must finish the job, rebuilding the
 * INVALID index the failed concurrent build left behind.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { buildDatabaseConfig } from '../src/config/database.config';
import { buildDataSourceOptions, MIGRATIONS } from '../src/database/runtime/data-source-options';
import { bookInput } from './factories/book.factory';
import { useBooksApp, useTestDatabase } from './helpers/books-app';
import { query, serviceEnv, type TestDatabase } from './helpers/test-database';

const ROOT = path.resolve(__dirname, '..');
const TRIGRAM = 'TrigramSearchIndexes1795636407651';
const TRIGRAM_INDEXES = ['books_author_trgm_idx', 'books_title_trgm_idx'];

interface Exit {
  code: number | null;
  output: string;
}

/** `npm run db:prepare` against `db`, as a deploy step runs it: the serving role's URL and the owner's. */
function dbPrepare(db: TestDatabase): { exited: Promise<Exit> } {
  const proc = spawn('npm', ['run', '--silent', 'db:prepare'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/root',
      NODE_ENV: 'test',
      ...serviceEnv(db),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  proc.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  proc.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { exited: new Promise((resolve) => proc.once('exit', (code) => resolve({ code, output }))) };
}

async function trigramIndexes(url: URL): Promise<{ name: string; valid: boolean }[]> {
  return query<{ name: string; valid: boolean }>(
    url,
    `SELECT c.relname AS name, i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
     WHERE c.relname = ANY($1) ORDER BY c.relname`,
    [TRIGRAM_INDEXES],
  );
}

describe('migrations next to a long transaction', () => {
  const fixture = useBooksApp('migrate_lock', { DB_SCHEMA_MODE: 'migrate' });

  it('db:prepare fails fast with a clear message while reads and writes go on, and a rerun finishes the job', async () => {
    // The superuser's URL inspects the catalogs; the owner undoes a migration; the batch job is the app's role.
    const { db } = fixture;
    const url = db.url;
    const created = await fixture.api().post('/books').send(bookInput()).expect(201);
    const id = (created.body as { id: string }).id;
    // The trigram migration pending again, as on a database deployed before it.
    for (const index of TRIGRAM_INDEXES) await query(db.ownerUrl, `DROP INDEX IF EXISTS "${index}"`);
    await query(db.ownerUrl, 'DELETE FROM migrations WHERE name = $1', [TRIGRAM]);

    const holder = new Client({
      connectionString: db.appUrl.toString(),
      application_name: 'bookapi-test-long-transaction',
    });
    await holder.connect();
    let held = true;
    try {
      // A long batch job: it wrote a row of books and has not committed.
      await holder.query('BEGIN');
      await holder.query('UPDATE books SET summary = $2 WHERE id = $1', [id, 'edited by a long job']);

      const prepare = dbPrepare(db);
      let done = false;
      void prepare.exited.then(() => (done = true));
      const statuses: number[] = [];
      while (!done) {
        statuses.push((await fixture.api().get(`/books/${id}`)).status);
        statuses.push((await fixture.api().get('/books?q=Pragmatic')).status);
        statuses.push((await fixture.api().post('/books').send(bookInput())).status);
      }
      const { code, output } = await prepare.exited;

      expect(code).toBe(1);
      expect(output).toMatch(
        new RegExp(`db:prepare failed: migration ${TRIGRAM} gave up after waiting 5s for a lock \\(lock_timeout\\)`),
      );
      expect(output).not.toMatch(/\n\s+at /); // one line, no stack
      // Traffic went on while the migration waited (statuses: GET, list, POST, repeated).
      expect(statuses.length).toBeGreaterThanOrEqual(6);
      expect(statuses.filter((status, i) => status !== (i % 3 === 2 ? 201 : 200))).toEqual([]);
      await expect(query(url, 'SELECT 1 FROM migrations WHERE name = $1', [TRIGRAM])).resolves.toEqual([]);
      // The failed concurrent build left its index INVALID (unused, but maintained on every write).
      await expect(trigramIndexes(url)).resolves.toContainEqual({ name: 'books_title_trgm_idx', valid: false });

      await holder.query('ROLLBACK');
      held = false;
      const rerun = await dbPrepare(db).exited;
      expect(rerun).toMatchObject({ code: 0 });
      await expect(trigramIndexes(url)).resolves.toEqual(TRIGRAM_INDEXES.map((name) => ({ name, valid: true })));
      await expect(query(url, 'SELECT 1 AS applied FROM migrations WHERE name = $1', [TRIGRAM])).resolves.toEqual([
        { applied: 1 },
      ]);
    } finally {
      if (held) await holder.query('ROLLBACK').catch(() => undefined);
      await holder.end();
    }
  });
});

describe('a backfill over rows that existed before its migration', () => {
  const fixture = useTestDatabase('migrate_backfill');

  it('BookSearchVector and BookWords fill every existing row, batch after batch, and index them', async () => {
    const { db } = fixture;
    const url = db.url;
    // The schema as it was before BookSearchVector (and what follows it), made by the owner role as the
    // service would have made it, with more rows than one batch holds.
    const owner = db.ownerUrl;
    const before = MIGRATIONS.slice(
      0,
      MIGRATIONS.findIndex((migration) => migration.name === 'BookSearchVector1796000000000'),
    );
    const options = buildDataSourceOptions(buildDatabaseConfig({ DATABASE_URL: owner.toString() }), owner);
    const dataSource = new DataSource({ ...options, migrations: before, logging: false });
    await dataSource.initialize();
    try {
      await dataSource.runMigrations({ transaction: 'each' });
    } finally {
      await dataSource.destroy();
    }
    await query(
      owner,
      `INSERT INTO books (title, author, isbn, published_year, version)
       SELECT 'Title ' || i, 'Author ' || i, '979' || lpad(i::text, 10, '0'), 2000, 1 FROM generate_series(1, 12001) AS i`,
    );

    await expect(dbPrepare(db).exited).resolves.toMatchObject({ code: 0 });

    const [counts] = await query<{ total: number; unfilled: number; wrong: number }>(
      url,
      `SELECT count(*)::int AS total, count(*) FILTER (WHERE search_vector IS NULL)::int AS unfilled,
              count(*) FILTER (WHERE search_vector IS DISTINCT FROM
                setweight(to_tsvector('simple', title), 'A') || setweight(to_tsvector('simple', author), 'B'))::int AS wrong
       FROM books`,
    );
    expect(counts).toEqual({ total: 12001, unfilled: 0, wrong: 0 });
    await expect(
      query(url, `SELECT indisvalid AS valid FROM pg_index WHERE indexrelid = 'books_search_vector_idx'::regclass`),
    ).resolves.toEqual([{ valid: true }]);
    // Every book's words, and no others (BookWords' batches walk the primary key, 2 000 books each).
    await expect(
      query(
        url,
        `SELECT (SELECT count(*)::int FROM book_words) AS words,
                (SELECT count(*)::int FROM books, unnest(tsvector_to_array(search_vector))) AS lexemes,
                (SELECT count(*)::int FROM (
                   SELECT w, id FROM books, unnest(tsvector_to_array(search_vector)) AS w
                   EXCEPT SELECT word, book_id FROM book_words) missing) AS missing`,
      ),
    ).resolves.toEqual([{ words: 12001 * 3, lexemes: 12001 * 3, missing: 0 }]);
    // TRUNCATE fires no row trigger: a statement trigger empties book_words with it.
    await query(owner, 'TRUNCATE books');
    await expect(query(url, 'SELECT count(*)::int AS words FROM book_words')).resolves.toEqual([{ words: 0 }]);
  });
});
