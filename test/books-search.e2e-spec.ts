import request from 'supertest';
import {
  LONG_POSTINGS,
  SEARCH_CAP,
  SPARSE_ESTIMATE,
  WALK_BUDGET,
  WORDS_BUDGET,
  COMMON_WORD_RATIO,
} from '../src/books/books-list.bounds';
import { isbn13Of } from './factories/book.factory';
import { expectProblem } from './helpers/expect-problem';
import { createTestDatabase, query, TestDatabase } from './helpers/test-database';
import { startTestApp, TestApp } from './helpers/test-app';

interface Page {
  data: { id: string; title: string; author: string; createdAt: string }[];
  meta: { page?: number; limit: number; total: number; totalEstimated?: boolean; nextCursor?: string | null };
}

/** Rows inserted by SQL get distinct, increasing created_at: serial i is i ms after 2020. */
function insertSql(count: number, title: string, author: string, from: number): string {
  return `INSERT INTO books (title, author, isbn, published_year, created_at, version)
    SELECT ${title}, ${author}, '979' || lpad(i::text, 10, '0'), 2000,
           timestamptz '2020-01-01' + i * interval '1 millisecond', 1
    FROM generate_series(${from}, ${from + count - 1}) AS i`;
}

describe('GET /books: search, and q and filters with a bounded cost (real PostgreSQL, migrated schema)', () => {
  let db: TestDatabase;
  let app: TestApp;
  const api = () => request(app.baseUrl);
  const get = async (queryString: string) => (await api().get(`/books?${queryString}`).expect(200)).body as Page;

  /** Follows meta.nextCursor from `from` (`*`: the start) to null; returns every page. */
  async function allPages(queryString: string, maxPages: number, from = '*'): Promise<Page[]> {
    const pages: Page[] = [];
    let cursor: string | null | undefined = from;
    while (cursor) {
      expect(pages.length).toBeLessThan(maxPages);
      const result = await get(`${queryString}&cursor=${cursor}`);
      pages.push(result);
      cursor = result.meta.nextCursor;
    }
    return pages;
  }

  beforeAll(async () => {
    db = await createTestDatabase('books_search');
    app = await startTestApp(db, { DB_SCHEMA_MODE: 'migrate' });
    // Through the API: the trigger fills search_vector on insert and on a title change.
    for (const [serial, [title, author]] of [
      ['Winter Cathedral', 'Ada Stone'],
      ['The Winter Garden', 'Cathedral Jones'],
      ['Cathedral of Winter Light', 'Bo Winter'],
      ['Summer Harbor', 'Winter Cathedral Society'],
      ['It', 'Stephen King'],
      ['Der Zauberberg', 'Thomas Mann'],
    ].entries()) {
      await api()
        .post('/books')
        .send({ title, author, isbn: isbn13Of('978', serial), publishedYear: 1999 })
        .expect(201);
    }
  });
  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  describe('search: words, ranked', () => {
    it('finds whole words in title or author, ranks title words first, counts exactly', async () => {
      const page = await get('search=winter%20cathedral');
      expect(page.meta).toEqual({ page: 1, limit: 20, total: 4 });
      // Both words in a short title first; words in the author only (weight B) last.
      expect(page.data[0].title).toBe('Winter Cathedral');
      expect(page.data.at(-1)!.title).toBe('Summer Harbor');
      const ranks = await query<{ title: string; rank: number }>(
        db.url,
        `SELECT title, ts_rank(search_vector, websearch_to_tsquery('simple', 'winter cathedral'), 1) AS rank
         FROM books WHERE search_vector @@ websearch_to_tsquery('simple', 'winter cathedral')`,
      );
      const expected = ranks.sort((a, b) => b.rank - a.rank).map((row) => row.rank);
      const served = page.data.map((book) => ranks.find((row) => row.title === book.title)!.rank);
      expect(served).toEqual(expected);
    });

    it('understands phrases, or and minus (websearch_to_tsquery) and keeps short and stop words', async () => {
      const titles = async (q: string) =>
        (await get(`search=${encodeURIComponent(q)}`)).data.map((b) => b.title).sort();
      expect(await titles('"winter cathedral"')).toEqual(['Summer Harbor', 'Winter Cathedral']);
      expect(await titles('cathedral -winter')).toEqual([]);
      expect(await titles('zauberberg or harbor')).toEqual(['Der Zauberberg', 'Summer Harbor']);
      // `simple`: "It" is a word, not an English stop word, and "der" is not dropped either.
      expect(await titles('it')).toEqual(['It']);
      expect(await titles('DER')).toEqual(['Der Zauberberg']);
      // No stemming: a plural does not find the singular.
      expect(await titles('cathedrals')).toEqual([]);
    });

    it('follows a title change (the trigger keeps the vector current)', async () => {
      const [{ id }] = await query<{ id: string }>(db.url, `SELECT id FROM books WHERE title = 'Der Zauberberg'`);
      const etag = (await api().get(`/books/${id}`).expect(200)).headers.etag;
      await api().patch(`/books/${id}`).set('If-Match', etag).send({ title: 'Buddenbrooks' }).expect(200);
      expect((await get('search=zauberberg')).meta.total).toBe(0);
      expect((await get('search=buddenbrooks')).data.map((b) => b.id)).toEqual([id]);
    });

    it('combines with the other filters', async () => {
      const page = await get(`search=winter&author=${encodeURIComponent('Bo Winter')}`);
      expect(page.data.map((b) => b.title)).toEqual(['Cathedral of Winter Light']);
      expect(page.meta.total).toBe(1);
    });

    it('cursor pages over (rank, id) visit every match once, in rank order', async () => {
      const pages = await allPages('search=winter&limit=2', 10);
      const served = pages.flatMap((p) => p.data.map((b) => b.id));
      const all = (await get('search=winter&limit=100')).data.map((b) => b.id);
      expect(served).toEqual(all);
      expect(new Set(served).size).toBe(all.length);
      expect(pages.at(-1)!.meta.nextCursor).toBeNull();
    });

    it('a search cursor is refused without the search, and a sort cursor with one', async () => {
      const { meta } = await get('search=winter&limit=1&cursor=*');
      expectProblem(await api().get(`/books?cursor=${meta.nextCursor}`), 400, {
        fields: ['cursor'],
        detail: /belongs to a search/,
      });
      const sorted = await get('limit=1&cursor=*');
      expectProblem(await api().get(`/books?search=winter&cursor=${sorted.meta.nextCursor}`), 400, {
        fields: ['cursor'],
        detail: /sort=createdAt&order=asc without search/,
      });
    });

    it(`past ${SEARCH_CAP} matches, ranks among the first ${SEARCH_CAP + 1} and says the total is estimated`, async () => {
      await query(db.url, insertSql(SEARCH_CAP + 200, `'common word ' || i`, `'bulk'`, 1_000_000));
      await query(db.url, 'ANALYZE books');
      const page = await get('search=common');
      expect(page.meta.totalEstimated).toBe(true);
      expect(page.meta.total).toBeGreaterThan(SEARCH_CAP);
      expect(page.data).toHaveLength(20);
      const narrow = await get('search=common%20word%201000042');
      expect(narrow.meta).toEqual({ page: 1, limit: 20, total: 1 });
      await query(db.url, `DELETE FROM books WHERE author = 'bulk'`);
    });
  });

  describe(`search for a word in more than ${LONG_POSTINGS} books`, () => {
    const many = LONG_POSTINGS + 1_000;
    /** Every page of the search, by cursor: the ids served, in order. */
    async function served(words: string): Promise<string[]> {
      const pages = await allPages(`search=${words}&limit=100`, 10);
      expect(pages.at(-1)!.meta.nextCursor).toBeNull();
      for (const { meta } of pages) expect(meta).toMatchObject({ total: expect.any(Number), totalEstimated: true });
      return pages.flatMap((p) => p.data.map((b) => b.id));
    }
    beforeAll(async () => {
      await query(db.url, insertSql(many, `'crowded tale ' || i`, `'Crowd'`, 5_000_000));
      await query(db.url, 'ANALYZE books');
    });
    afterAll(() => query(db.url, `DELETE FROM books WHERE author IN ('Crowd', 'Quiet')`));

    it(`ranks the first ${SEARCH_CAP + 1} found in a sample of the table, the same on every page`, async () => {
      const ids = await served('crowded');
      expect(ids).toHaveLength(SEARCH_CAP + 1);
      expect(new Set(ids).size).toBe(ids.length);
      const [{ n }] = await query<{ n: number }>(
        db.url,
        `SELECT count(*)::int AS n FROM books WHERE author = 'Crowd' AND id = ANY($1::uuid[])`,
        [ids],
      );
      expect(n).toBe(ids.length);

      // Books added after the first page are left out of the later pages' sample (its cursor keeps the table's size and time).
      const first = await get('search=crowded&limit=100&cursor=*');
      await query(
        db.url,
        `INSERT INTO books (title, author, isbn, published_year, version)
         SELECT 'crowded late ' || i, 'Crowd', '979' || lpad(i::text, 10, '0'), 2000, 1 FROM generate_series(1, ${SEARCH_CAP + 1}) AS i`,
      );
      const rest = await allPages('search=crowded&limit=100', 10, first.meta.nextCursor!);
      expect([...first.data, ...rest.flatMap((p) => p.data)].map((b) => b.id)).toEqual(ids);
    });

    it(`several common words: the first ${SEARCH_CAP + 1} books with them all in id order (book_words), the same on every page`, async () => {
      const ids = await served('tale crowded');
      const [{ first }] = await query<{ first: string[] }>(
        db.url,
        `SELECT array_agg(id::text ORDER BY id::text) AS first FROM (
           SELECT id FROM books WHERE search_vector @@ to_tsquery('simple', 'crowded & tale') ORDER BY id LIMIT ${SEARCH_CAP + 1}) f`,
      );
      expect([...ids].sort()).toEqual(first);

      // Books added after the first page are left out of the later pages (its cursor keeps the time).
      const firstPage = await get('search=tale%20crowded&limit=100&cursor=*');
      await query(
        db.url,
        `INSERT INTO books (id, title, author, isbn, published_year, version)
         SELECT ('00000000-0000-4000-8000-' || lpad(i::text, 12, '0'))::uuid, 'crowded tale, later ' || i, 'Crowd',
                '979' || lpad((8000000 + i)::text, 10, '0'), 2000, 1
         FROM generate_series(1, ${SEARCH_CAP + 1}) AS i`,
      );
      const rest = await allPages('search=tale%20crowded&limit=100', 10, firstPage.meta.nextCursor!);
      expect([...firstPage.data, ...rest.flatMap((p) => p.data)].map((b) => b.id)).toEqual(ids);
      // A new first page ranks among the new books, which come first in id order.
      const [{ n }] = await query<{ n: number }>(
        db.url,
        `SELECT count(*)::int AS n FROM books WHERE title LIKE 'crowded tale, later %' AND id = ANY($1::uuid[])`,
        [await served('crowded tale')],
      );
      expect(n).toBe(SEARCH_CAP + 1);
    });

    it('a common word beside a rare one is checked on the rows, not in the index: the same books, counted exactly', async () => {
      await query(
        db.url,
        `INSERT INTO books (title, author, isbn, published_year, version) VALUES
           ('crowded rarebird one', 'Crowd', '9789999999991', 2000, 1),
           ('crowded rarebird two', 'Crowd', '9789999999992', 2000, 1),
           ('rarebird alone', 'Crowd', '9789999999993', 2000, 1)`,
      );
      // The premise: the planner puts crowded in more than LONG_POSTINGS books and COMMON_WORD_RATIO times rarebird's.
      const [explained] = await query<{ 'QUERY PLAN': [{ Plan: { Plans: { 'Plan Rows': number }[] } }] }>(
        db.url,
        `EXPLAIN (FORMAT JSON) SELECT 1 FROM books WHERE search_vector @@ to_tsquery('simple', 'crowded')
         UNION ALL SELECT 1 FROM books WHERE search_vector @@ to_tsquery('simple', 'rarebird')`,
      );
      const [crowded, rarebird] = explained['QUERY PLAN'][0].Plan.Plans.map((branch) => branch['Plan Rows']);
      expect(crowded).toBeGreaterThanOrEqual(Math.max(LONG_POSTINGS, COMMON_WORD_RATIO * rarebird));
      const page = await get('search=rarebird%20crowded');
      expect(page.meta).toEqual({ page: 1, limit: 20, total: 2 });
      expect(page.data.map((b) => b.title).sort()).toEqual(['crowded rarebird one', 'crowded rarebird two']);
    });

    it('a word the statistics call common but the sample finds too few of: the index, an exact total', async () => {
      await query(db.url, insertSql(many, `'fleeting tale ' || i`, `'Quiet'`, 6_000_000));
      await query(db.url, 'ANALYZE books');
      const left = SEARCH_CAP - 100;
      await query(
        db.url,
        `DELETE FROM books WHERE author = 'Quiet' AND split_part(title, ' ', 3)::int >= ${6_000_000 + left}`,
      );
      // Fewer left than a search ranks: the sample (the whole of this small table) holds too few, so the bitmap reads them.
      const page = await get('search=fleeting');
      expect(page.meta).toEqual({ page: 1, limit: 20, total: left });
    });
  });

  describe('book_words, the words a search of several common words merges', () => {
    /** Rows where book_words and search_vector disagree (a word missing or left over). */
    const drift = async () => {
      const [{ n }] = await query<{ n: number }>(
        db.url,
        `SELECT count(*)::int AS n FROM (
           (SELECT word, book_id FROM book_words
            EXCEPT SELECT w, id FROM books, unnest(tsvector_to_array(search_vector)) AS w)
           UNION ALL
           (SELECT w, id FROM books, unnest(tsvector_to_array(search_vector)) AS w
            EXCEPT SELECT word, book_id FROM book_words)) d`,
      );
      return n;
    };

    it('follows every insert, title change, author change and delete, through the API', async () => {
      const created = await api()
        .post('/books')
        .send({
          title: 'Lanterns of Kestrel Bay',
          author: 'Iona Marsh',
          isbn: isbn13Of('978', 4242),
          publishedYear: 2001,
        })
        .expect(201);
      const { id, version } = created.body as { id: string; version: number };
      const words = async () =>
        (
          await query<{ word: string }>(db.url, 'SELECT word FROM book_words WHERE book_id = $1 ORDER BY word', [id])
        ).map((row) => row.word);
      expect(await words()).toEqual(['bay', 'iona', 'kestrel', 'lanterns', 'marsh', 'of']);
      await api()
        .patch(`/books/${id}`)
        .set('If-Match', `"${version}"`)
        .send({ title: 'Lanterns of Heron Bay' })
        .expect(200);
      expect(await words()).toEqual(['bay', 'heron', 'iona', 'lanterns', 'marsh', 'of']);
      await api()
        .patch(`/books/${id}`)
        .set('If-Match', `"${version + 1}"`)
        .send({ author: 'Iona Reed' })
        .expect(200);
      expect(await words()).toEqual(['bay', 'heron', 'iona', 'lanterns', 'of', 'reed']);
      expect(await drift()).toBe(0);
      await api()
        .delete(`/books/${id}`)
        .set('If-Match', `"${version + 2}"`)
        .expect(204);
      expect(await words()).toEqual([]);
      expect(await drift()).toBe(0);
    });

    it(`words that avoid each other: the merge stops at ${WORDS_BUDGET} entries a word, the index finds the rest`, async () => {
      // Each word in WORDS_BUDGET + 100 books, together in 40 only, whose ids come after every other book's.
      const each = WORDS_BUDGET + 100;
      await query(db.url, insertSql(each, `'apart alpha ' || i`, `'Apart'`, 10_000_000));
      await query(db.url, insertSql(each, `'apart beta ' || i`, `'Apart'`, 11_000_000));
      await query(
        db.url,
        `INSERT INTO books (id, title, author, isbn, published_year, version)
         SELECT ('ffffffff-ffff-4fff-bfff-' || lpad(i::text, 12, '0'))::uuid, 'together alpha beta ' || i, 'Apart',
                '979' || lpad((12000000 + i)::text, 10, '0'), 2000, 1
         FROM generate_series(1, 40) AS i`,
      );
      await query(db.url, 'ANALYZE books');
      try {
        // The premise: the planner expects more than LONG_POSTINGS books with both (so the merge runs), and
        // each word has more entries than the merge reads.
        const [explained] = await query<{ 'QUERY PLAN': [{ Plan: { 'Plan Rows': number } }] }>(
          db.url,
          `EXPLAIN (FORMAT JSON) SELECT 1 FROM books WHERE search_vector @@ websearch_to_tsquery('simple', 'alpha beta')`,
        );
        expect(explained['QUERY PLAN'][0].Plan['Plan Rows']).toBeGreaterThanOrEqual(LONG_POSTINGS);
        const entries = await query<{ n: number }>(
          db.url,
          `SELECT count(*)::int AS n FROM book_words WHERE word IN ('alpha', 'beta') GROUP BY word`,
        );
        expect(entries).toEqual([{ n: each + 40 }, { n: each + 40 }]);
        const page = await get('search=alpha%20beta');
        expect(page.meta).toEqual({ page: 1, limit: 20, total: 40 });
        expect(page.data.every((b) => b.title.startsWith('together alpha beta '))).toBe(true);
        expect(await drift()).toBe(0);
      } finally {
        await query(db.url, `DELETE FROM books WHERE author = 'Apart'`);
      }
    });
  });

  describe(`q of several words, one of which matches ${LONG_POSTINGS} rows or more`, () => {
    beforeAll(async () => {
      // 150 more words: the planner estimates a prefix (word:*) only from 100+ most common lexemes.
      await query(
        db.url,
        insertSql(LONG_POSTINGS + 100, `'silent river w' || i % 150 || ' ' || i`, `'Common'`, 7_000_000),
      );
      await query(
        db.url,
        insertSql(LONG_POSTINGS + 100, `'harbor lake w' || i % 150 || ' ' || i`, `'Common'`, 7_100_000),
      );
      await query(db.url, insertSql(10, `'silent harbor ' || i`, `'Common'`, 7_200_000));
      await query(db.url, insertSql(1, `'quill parchment ' || i`, `'Common'`, 7_300_000));
      await query(db.url, 'ANALYZE books');
    });
    afterAll(() => query(db.url, `DELETE FROM books WHERE author = 'Common'`));

    it('walks rather than read every trigram posting: short pages, in order, until every match', async () => {
      const first = await get('q=silent%20harbor&limit=20&cursor=*');
      expect(first.data.length).toBeLessThan(10);
      expect(first.meta).toMatchObject({ totalEstimated: true, nextCursor: expect.any(String) });

      const pages = await allPages('q=silent%20harbor&limit=100', 50);
      const expected = await query<{ id: string }>(
        db.url,
        `SELECT id FROM books WHERE title ILIKE '%silent harbor%' OR author ILIKE '%silent harbor%' ORDER BY created_at, id`,
      );
      expect(expected).toHaveLength(10);
      expect(pages.flatMap((p) => p.data.map((b) => b.id))).toEqual(expected.map((row) => row.id));
    });

    it('one rare word among common ones walks too', async () => {
      const page = await get('q=silent%20harbor%207200003&cursor=*');
      expect(page.data).toHaveLength(0);
      expect(page.meta).toMatchObject({ totalEstimated: true, nextCursor: expect.any(String) });
    });

    it('a q of rare words is read whole, with an exact total', async () => {
      const page = await get('q=quill%20parchment');
      expect(page.meta).toEqual({ page: 1, limit: 20, total: 1 });
      expect(page.data.map((b) => b.title)).toEqual(['quill parchment 7300000']);
    });
  });

  describe('q and filters when many rows match, far from the start of the sort order', () => {
    const older = WALK_BUDGET + 500;
    const newer = SPARSE_ESTIMATE + 300;
    beforeAll(async () => {
      // The matches are all among the newest rows: a walk in createdAt order meets none for a while.
      await query(db.url, insertSql(older, `'plain title ' || i`, `'Old Author'`, 2_000_000));
      await query(db.url, insertSql(newer, `'Tailwind ' || i`, `'New Author'`, 3_000_000));
      await query(db.url, 'ANALYZE books');
    });

    it('a page that runs out of budget is short, estimated, and its nextCursor goes on in order', async () => {
      const first = await get('q=tailwind&limit=20&cursor=*');
      expect(first.data.length).toBeLessThan(20);
      expect(first.meta.totalEstimated).toBe(true);
      expect(first.meta.nextCursor).toEqual(expect.any(String));

      const pages = await allPages('q=tailwind&limit=100', 100);
      const served = pages.flatMap((p) => p.data.map((b) => b.id));
      const expected = await query<{ id: string }>(
        db.url,
        `SELECT id FROM books WHERE title ILIKE '%tailwind%' OR author ILIKE '%tailwind%' ORDER BY created_at, id`,
      );
      expect(served).toEqual(expected.map((row) => row.id));
      expect(pages.at(-1)!.meta.nextCursor).toBeNull();
    });

    it('an offset page that runs out of budget says where to go on (meta.nextCursor)', async () => {
      const first = await get('q=tailwind&limit=20');
      expect(first.meta).toMatchObject({ page: 1, limit: 20, totalEstimated: true, nextCursor: expect.any(String) });
      const next = await get(`q=tailwind&limit=20&cursor=${first.meta.nextCursor}`);
      expect(next.data.every((b) => b.title.startsWith('Tailwind'))).toBe(true);
    });

    it('newest first, the same filter fills its page at once', async () => {
      const page = await get('q=tailwind&limit=20&order=desc&cursor=*');
      expect(page.data).toHaveLength(20);
      expect(page.meta.totalEstimated).toBe(true);
      expect(page.meta.total).toBeGreaterThan(SPARSE_ESTIMATE);
    });

    it('few matches are all read, sorted, and counted exactly', async () => {
      const page = await get('q=tailwind%20300100&limit=5');
      const [{ n }] = await query<{ n: number }>(
        db.url,
        `SELECT count(*)::int AS n FROM books WHERE title ILIKE '%tailwind 300100%' OR author ILIKE '%tailwind 300100%'`,
      );
      expect(page.meta).toEqual({ page: 1, limit: 5, total: n });
      expect(page.data).toHaveLength(5);
    });
  });
});
