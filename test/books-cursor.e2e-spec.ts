import { Client } from 'pg';
import { useBooksApp } from './helpers/books-app';
import { EXACT_TOTAL_CAP } from '../src/books/book-sql';
import { expectProblem } from './helpers/expect-problem';
import { query } from './helpers/test-database';

interface CursorPage {
  data: { id: string; createdAt: string }[];
  meta: { page?: number; limit: number; total: number; totalEstimated?: boolean; nextCursor?: string | null };
}

const SORTS = { title: 'title', author: 'author', publishedYear: 'published_year', createdAt: 'created_at' } as const;

describe('GET /books by cursor, and the capped total (real PostgreSQL, migrated schema)', () => {
  const fixture = useBooksApp('books_cursor', { DB_SCHEMA_MODE: 'migrate' });

  const api = () => fixture.api();

  async function page(queryString: string): Promise<CursorPage> {
    return (await api().get(`/books?${queryString}`).expect(200)).body as CursorPage;
  }

  /** Follows nextCursor from `*` to the end; returns the ids in the order served. */
  async function walk(queryString: string, total: number): Promise<string[]> {
    const ids: string[] = [];
    let cursor: string | null | undefined = '*';
    for (let pages = 0; cursor; pages++) {
      expect(pages).toBeLessThan(100);
      const result = await page(`${queryString}&limit=7&cursor=${cursor}`);
      expect(result.meta).toHaveProperty('nextCursor');
      expect(result.meta).toEqual({ limit: 7, total, nextCursor: result.meta.nextCursor });
      expect(result.data.length).toBeLessThanOrEqual(7);
      ids.push(...result.data.map((book) => book.id));
      cursor = result.meta.nextCursor;
      if (cursor) expect(result.data).toHaveLength(7);
    }
    return ids;
  }

  beforeAll(async () => {
    // 24 books in the same millisecond: 12 share one created_at, 12 differ only in microseconds
    // (a JS Date would round those off); titles, authors and years repeat to force id tie-breaks.
    await query(
      fixture.db.url,
      `INSERT INTO books (title, author, isbn, published_year, created_at, updated_at, version)
       SELECT 'title ' || (i % 5), 'author ' || (i % 3), '979' || lpad(i::text, 10, '0'), 1990 + (i % 4),
              CASE WHEN i <= 12 THEN timestamptz '2026-01-01 00:00:00.123456+00'
                   ELSE timestamptz '2026-01-01 00:00:00.123000+00' + (i * interval '1 microsecond') END,
              now(), 1
       FROM generate_series(1, 24) AS i`,
    );
  });

  for (const [sort, column] of Object.entries(SORTS)) {
    for (const order of ['asc', 'desc'] as const) {
      it(`a walk by ${sort} ${order} serves every book once, in the database's order`, async () => {
        const expected = await query<{ id: string }>(
          fixture.db.url,
          `SELECT id FROM books ORDER BY ${column} ${order}, id ${order}`,
        );
        await expect(walk(`sort=${sort}&order=${order}`, 24)).resolves.toEqual(expected.map((row) => row.id));
      });
    }
  }

  it('a walk keeps its filters, and cursor=* of an empty result ends at once', async () => {
    const expected = await query<{ id: string }>(
      fixture.db.url,
      `SELECT id FROM books WHERE author = 'author 1' AND published_year >= 1991 ORDER BY title DESC, id DESC`,
    );
    await expect(walk('author=author%201&publishedFrom=1991&sort=title&order=desc', expected.length)).resolves.toEqual(
      expected.map((row) => row.id),
    );
    await expect(page('author=nobody&cursor=*')).resolves.toEqual({
      data: [],
      meta: { limit: 20, total: 0, nextCursor: null },
    });
  });

  it('refuses a cursor it did not issue, one from another sort or order, and page with cursor', async () => {
    expectProblem(await api().get('/books?cursor=not-a-cursor'), 400, { type: 'validation-error', fields: ['cursor'] });
    expectProblem(await api().get('/books?cursor=a%20b'), 400, { type: 'validation-error', fields: ['cursor'] });
    const forged = Buffer.from(JSON.stringify(['createdAt', 'asc', 'yesterday', 'x'])).toString('base64url');
    expectProblem(await api().get(`/books?cursor=${forged}`), 400, { fields: ['cursor'] });

    const first = await page('sort=title&limit=2&cursor=*');
    const cursor = first.meta.nextCursor!;
    expectProblem(await api().get(`/books?sort=author&cursor=${cursor}`), 400, {
      fields: ['cursor'],
      detail: /sort=title&order=asc/,
    });
    expectProblem(await api().get(`/books?sort=title&order=desc&cursor=${cursor}`), 400, { fields: ['cursor'] });
    expectProblem(await api().get(`/books?sort=title&page=2&cursor=${cursor}`), 400, { fields: ['page'] });
    expect((await page(`sort=title&limit=2&cursor=${cursor}`)).data).toHaveLength(2);
  });

  it('answers forged cursors that PostgreSQL would refuse with 400, never 500 or SQL', async () => {
    const id = '3f1c2a7e-8a4b-4c1d-9f7e-2b6d5c4a3e21';
    const forge = (sort: string, key: unknown) =>
      Buffer.from(JSON.stringify([sort, 'asc', key, id])).toString('base64url');
    for (const [sort, key] of [
      ['publishedYear', 2 ** 31],
      ['publishedYear', -(2 ** 40)],
      ['createdAt', '2024-02-30T00:00:00.000000Z'],
      ['createdAt', '0000-01-01T00:00:00.000000Z'],
    ] as const) {
      const res = await api().get(`/books?sort=${sort}&cursor=${forge(sort, key)}`);
      expect({ sort, key, status: res.status }).toEqual({ sort, key, status: 400 });
      expectProblem(res, 400, { fields: ['cursor'] });
      expect(res.text).not.toMatch(/SELECT|published_year|out of range|timestamp/i);
    }
  });

  it('caps offset pages at page × limit = 10000 and points to cursor beyond', async () => {
    await page('limit=100&page=100');
    await page('limit=10&page=1000');
    const res = await api().get('/books?limit=100&page=101');
    expectProblem(res, 400, { type: 'validation-error', fields: ['page'], detail: /cursor/ });
    expectProblem(await api().get('/books?limit=20&page=600000'), 400, { fields: ['page'], detail: /cursor/ });
  });

  describe(`beyond ${EXACT_TOTAL_CAP} matches`, () => {
    const extra = EXACT_TOTAL_CAP + 76;
    beforeAll(async () => {
      await query(
        fixture.db.url,
        `INSERT INTO books (title, author, isbn, published_year, version)
         SELECT 'bulk ' || i, CASE WHEN i <= 30 THEN 'few' ELSE 'many' END, '978' || lpad(i::text, 10, '0'), 2000, 1
         FROM generate_series(1, ${extra}) AS i`,
      );
      await query(fixture.db.url, 'ANALYZE books');
    });

    it('the total becomes an estimate and says so; offset pages keep their page number', async () => {
      const [{ n }] = await query<{ n: number }>(fixture.db.url, 'SELECT count(*)::int AS n FROM books');
      const first = await page('limit=20');
      // ANALYZE read the whole (small) table, so the estimate is the exact count here.
      expect(first.meta).toEqual({ page: 1, limit: 20, total: n, totalEstimated: true });
      expect(first.data).toHaveLength(20);
      const byCursor = await page('limit=20&cursor=*');
      expect(byCursor.meta).toEqual({ limit: 20, total: n, totalEstimated: true, nextCursor: expect.any(String) });
    });

    it('q is served by the trigram indexes the migration made', async () => {
      const indexes = await query<{ indexname: string }>(
        fixture.db.url,
        `SELECT indexname FROM pg_indexes WHERE tablename = 'books' AND indexdef LIKE '%gin_trgm_ops%' ORDER BY 1`,
      );
      expect(indexes.map((index) => index.indexname)).toEqual(['books_author_trgm_idx', 'books_title_trgm_idx']);
      const plan = await explainWithoutSeqScan(
        fixture.db.url,
        `SELECT 1 FROM books WHERE title ILIKE '%ulk 1234%' OR author ILIKE '%ulk 1234%'`,
      );
      expect(plan).toContain('books_title_trgm_idx');
      expect(plan).toContain('books_author_trgm_idx');
      await expect(page('q=BULK%201234')).resolves.toMatchObject({ meta: { total: 1 } });
    });

    it('a filter past the cap is estimated by the planner; one under it stays exact', async () => {
      const many = await page('author=many');
      expect(many.meta.totalEstimated).toBe(true);
      expect(many.meta.total).toBeGreaterThan(EXACT_TOTAL_CAP);
      await expect(page('author=few')).resolves.toMatchObject({ meta: { page: 1, limit: 20, total: 30 } });
      expect((await page('author=few')).meta).not.toHaveProperty('totalEstimated');
    });
  });
});

/** The plan of `sql` with sequential scans priced out (the table is too small to need an index). */
async function explainWithoutSeqScan(url: URL, sql: string): Promise<string> {
  const client = new Client({ connectionString: url.toString(), application_name: 'bookapi-test-probe' });
  await client.connect();
  try {
    await client.query('SET enable_seqscan = off');
    const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`);
    return rows.map((row) => row['QUERY PLAN']).join('\n');
  } finally {
    await client.end();
  }
}
