import { Client } from 'pg';
import { BITMAP_ONLY } from '../src/books/books-list.bounds';
import { type PlanNode, readEstimates } from '../src/books/books-list.plan';
import { ListStatement, ListStatements } from '../src/books/books-list.statements';
import { TEXT_STATISTICS_TARGET } from '../src/database/migrations/1796100000000-BookSearchStatistics';
import { BOOK_SORT_FIELDS, ListBooksQueryDto } from '../src/books/dto/list-books-query.dto';
import { createTestDatabase, TestDatabase } from './helpers/test-database';
import { startTestApp } from './helpers/test-app';

const SORT_INDEX = {
  title: 'books_title_id_idx',
  author: 'books_author_id_idx',
  publishedYear: 'books_published_year_id_idx',
  createdAt: 'books_created_at_id_idx',
} as const;

function statements(query: Partial<ListBooksQueryDto>): ListStatements {
  return new ListStatements(Object.assign(new ListBooksQueryDto(), query));
}

/**
 * The plans the list query relies on (books-list.query.ts), on a small migrated table. A walk
 * is a plain statement: the planner takes the (sort, id) index for ORDER BY ... LIMIT on any
 * table much larger than the budget; on this small one a sequential scan would be cheaper, so
 * the check turns it off. So it does for sparse and search statements, served without settings
 * (but a search whose sample missed, served under BITMAP_ONLY): their matches are planned for all
 * rows (capped() in books-list.statements.ts), and for the few matches they are served for at a
 * million rows any index is cheaper than a table scan; the bench's scale step measures them there.
 */
describe('GET /books: the plan of each list statement (real PostgreSQL, migrated schema)', () => {
  let db: TestDatabase;
  let client: Client;

  async function explain(statement: ListStatement, settings: string): Promise<string> {
    await client.query('BEGIN');
    try {
      await client.query(settings);
      const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${statement.sql}`, statement.params);
      return rows.map((row) => row['QUERY PLAN']).join('\n');
    } finally {
      await client.query('ROLLBACK');
    }
  }

  beforeAll(async () => {
    db = await createTestDatabase('books_plans');
    const app = await startTestApp(db, { DB_SCHEMA_MODE: 'migrate' });
    await app.close();
    client = new Client({ connectionString: db.url.toString(), application_name: 'bookapi-test-probe' });
    await client.connect();
    await client.query(
      `INSERT INTO books (title, author, isbn, published_year, version)
       SELECT 'title ' || i, 'author ' || (i % 50), '978' || lpad(i::text, 10, '0'), 1900 + i % 120, 1
       FROM generate_series(1, 8000) AS i`,
    );
    await client.query('ANALYZE books');
    // As autovacuum leaves it: statistics, and the visibility map that makes its index-only scans cheap.
    await client.query('VACUUM (ANALYZE) book_words');
  });
  afterAll(async () => {
    await client?.end();
    await db?.drop();
  });

  const orders = BOOK_SORT_FIELDS.flatMap((sort) => (['asc', 'desc'] as const).map((order) => ({ sort, order })));

  it.each(orders)('no filter, sort $sort $order: the page reads the (sort, id) index, no sort step', async (o) => {
    const plan = await explain(statements(o).all(), 'SET LOCAL enable_seqscan = off');
    expect(plan).toMatch(new RegExp(`Index (Only )?Scan( Backward)? using ${SORT_INDEX[o.sort]}`));
    expect(plan).not.toMatch(/\bSort\b/);
  });

  it.each(orders)('many matches, sort $sort $order: a walk of the (sort, id) index, no sort step', async (o) => {
    const plan = await explain(statements({ ...o, q: 'title 1' }).walk(), 'SET LOCAL enable_seqscan = off');
    expect(plan).toMatch(new RegExp(`Index Scan( Backward)? using ${SORT_INDEX[o.sort]}`));
    // Where the walk stopped: an index-only probe behind a one-time filter (skipped for a full page).
    expect(plan).toMatch(new RegExp(`One-Time Filter[^]*Index Only Scan( Backward)? using ${SORT_INDEX[o.sort]}`));
    expect(plan).not.toMatch(/\bSort\b/);
  });

  it.each([
    ['q', { q: 'title 12' }, ['books_title_trgm_idx', 'books_author_trgm_idx']],
    ['author', { author: 'author 7' }, ['books_author_id_idx']],
    ['isbn', { isbn: '9780000000042' }, ['books_isbn_key']],
    ['publishedFrom and publishedTo', { publishedFrom: 1990, publishedTo: 1991 }, ['books_published_year_id_idx']],
  ])('few matches by %s: its index (scan or bitmap), never a table scan', async (_name, query, indexes) => {
    const plan = await explain(statements(query).sparse(), 'SET LOCAL enable_seqscan = off');
    for (const index of indexes) expect(plan).toMatch(new RegExp(`Index Scan (on|using) ${index}`));
    expect(plan).not.toContain('Seq Scan');
  });

  it.each([
    ['few matches', 'SET LOCAL enable_seqscan = off'],
    ['a search whose sample missed, under BITMAP_ONLY', BITMAP_ONLY],
  ])('search, %s: a bitmap over the full-text index, never a table scan', async (_name, settings) => {
    const plan = await explain(statements({ search: 'title 12' }).search('index'), settings);
    expect(plan).toContain('Bitmap Index Scan on books_search_vector_idx');
    expect(plan).not.toContain('Seq Scan');
  });

  it('search for several common words: a Merge Join of their book_words entries in book_id order, then each book by its key', async () => {
    const plan = await explain(statements({ search: 'title author' }).words(), 'SET LOCAL enable_seqscan = off');
    // The merge is below the books' lookups (it is not fed by them) and nothing sorts its output before the LIMIT.
    expect(plan).toMatch(
      /Limit[^]*Nested Loop[^]*Merge Join[^]*Index Only Scan using book_words_pkey[^]*Index Only Scan using book_words_pkey[^]*Index Scan using "PK_\w+" on books/,
    );
    expect(plan).not.toMatch(/Limit[^]*Sort[^]*Merge Join/);
    expect(plan).not.toMatch(/Hash|Bitmap|Seq Scan/);
  });

  it('search, a word left to the rows: the bitmap reads the rarer words only, the common one is a filter', async () => {
    const plan = await explain(
      statements({ search: 'title author' }).search('index', undefined, ['title']),
      BITMAP_ONLY,
    );
    expect(plan).toContain(`Filter: ts_match_vq(search_vector, '''title'' & ''author'''::tsquery)`);
    expect(plan).toMatch(
      /Bitmap Index Scan on books_search_vector_idx[^\n]*\n\s*Index Cond: \(search_vector @@ '''author'''::tsquery\)/,
    );
    expect(plan).not.toContain('Seq Scan');
  });

  it('search for a common word: Tid Range Scans over stretches of the table, no index, no table scan', async () => {
    // Default settings: ts_match_vq (no index serves it) leaves the planner nothing but the Tid Range Scans.
    const plan = await explain(statements({ search: 'title' }).search('sample', 1e9), 'SET LOCAL enable_tidscan = on');
    expect(plan).toMatch(/Nested Loop[^]*Function Scan on generate_series[^]*Tid Range Scan on books/);
    expect(plan).not.toContain('Seq Scan');
    expect(plan).not.toMatch(/Index|Bitmap/);
  });

  it('a q of several words: one estimate per word, and one for a word the statistics do not know', async () => {
    const branches = async (q: string) => {
      const { sql, params } = statements({ q }).estimate();
      const { rows } = await client.query<{ 'QUERY PLAN': [{ Plan: { Plans: { 'Plan Rows': number }[] } }] }>(
        sql,
        params,
      );
      return rows[0]['QUERY PLAN'][0].Plan.Plans.map((branch) => branch['Plan Rows']);
    };
    const [, quill, parchment, unknown] = await branches('quill parchment');
    expect([quill, parchment]).toEqual([unknown, unknown]);
    // 'title' and 'author' are in every row, but with fewer than 100 common lexemes (52 here) the planner says 2 %
    // for any prefix: no word counts as common, the q is served as before the word check.
    // (Known words above that floor, with 150 more words: books-search.e2e-spec.ts.)
    const [, title, author, floor] = await branches('title author');
    expect([title, author]).toEqual([floor, floor]);
  });

  it('a one-word search: its estimate, and one for a word the statistics do not know', async () => {
    const estimates = async (search: string) => {
      const request = statements({ search });
      const { sql, params } = request.estimate();
      const { rows } = await client.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(sql, params);
      return readEstimates(request, rows[0]['QUERY PLAN'][0].Plan);
    };
    // No book has 'quill': the planner says for it what it says for '-'. 'title' is in every book.
    const quill = await estimates('quill');
    expect(quill.unknownWord).toBeGreaterThan(0);
    expect(quill.matches).toBe(quill.unknownWord);
    expect((await estimates('title')).matches).toBeGreaterThan(quill.unknownWord);
  });

  it(`the q estimate reads ${TEXT_STATISTICS_TARGET} histogram entries of title and author, not 100`, async () => {
    const stats = await client.query<{ attname: string; entries: number }>(
      `SELECT attname, coalesce(array_length(histogram_bounds::text::text[], 1), 0)
              + coalesce(array_length(most_common_vals::text::text[], 1), 0) AS entries
       FROM pg_stats WHERE tablename = 'books' AND attname IN ('title', 'author') ORDER BY attname`,
    );
    // 8000 distinct titles: a full histogram (target + 1 bounds); 50 authors: all most-common values.
    expect(stats.rows).toEqual([
      { attname: 'author', entries: 50 },
      { attname: 'title', entries: TEXT_STATISTICS_TARGET + 1 },
    ]);
  });
});
