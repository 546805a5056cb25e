import { useBooksApp } from './helpers/books-app';
import { bookInput, BookInput, countBooks, uniqueIsbn10 } from './factories/book.factory';
import { query } from './helpers/test-database';
import { encodeCursor } from '../src/books/book-cursor';

interface ListedBook {
  id: string;
  title: string;
  author: string;
  isbn: string;
  publishedYear: number;
  createdAt: string;
}

interface Page {
  data: ListedBook[];
  meta: { page: number; limit: number; total: number };
}

const SORT_FIELDS = ['title', 'author', 'publishedYear', 'createdAt'] as const;
type SortField = (typeof SORT_FIELDS)[number];

describe('GET /books: filters, sorting, pagination (real PostgreSQL)', () => {
  const fixture = useBooksApp('books_list');

  const api = () => fixture.api();
  const ids: Record<string, string> = {};
  let searchIsbn: { isbn10: string; isbn13: string };

  async function list(queryString: string): Promise<Page> {
    const res = await api().get(`/books?${queryString}`).expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    return res.body as Page;
  }

  async function create(name: string, input: Partial<BookInput>): Promise<void> {
    const res = await api().post('/books').send(bookInput(input)).expect(201);
    ids[name] = (res.body as ListedBook).id;
  }

  beforeAll(async () => {
    searchIsbn = uniqueIsbn10();
    const sorter: [string, number][] = [
      ['delta', 1990],
      ['alpha', 2001],
      ['charlie', 1990],
      ['bravo', -500],
      ['alpha', 1990],
      ['echo', 2020],
    ];
    for (const [i, [title, publishedYear]] of sorter.entries()) {
      await create(`sorter${i}`, { title, publishedYear, author: `sorter ${'zyxwvu'[i]}` });
    }
    // A batch shares one created_at, so the default sort must break the tie by id.
    await api()
      .post('/books/batch')
      .send({
        books: Array.from({ length: 45 }, () =>
          bookInput({ title: 'same title', author: 'tie author', publishedYear: 2000 }),
        ),
      })
      .expect(201);
    await create('uberTitle', { title: 'Über Alles', author: 'search one', publishedYear: 1950 });
    await create('uberUpper', { title: 'ÜBERSICHT', author: 'search two', publishedYear: 1960 });
    await create('uberAscii', { title: 'uber ascii', author: 'search three', publishedYear: 1970 });
    await create('percent', { title: '100% Pure', author: 'search four', publishedYear: 1980 });
    await create('hundred', { title: '100 Pure Water', author: 'search five', publishedYear: 1985 });
    await create('underscore', { title: 'snake_case', author: 'search six', publishedYear: 1995 });
    await create('noUnderscore', { title: 'snakeXcase', author: 'search seven', publishedYear: 1996 });
    await create('backslash', { title: 'C:\\books', author: 'search eight', publishedYear: 1997 });
    await create('annLee', { title: 'by ann', author: 'Ann Lee', publishedYear: 2010, isbn: searchIsbn.isbn13 });
    await create('annLeech', { title: 'by leech', author: 'Ann Leech', publishedYear: 2011 });
  });

  const titlesOf = (page: Page) => page.data.map((book) => book.title).sort();
  const idsOf = (page: Page) => page.data.map((book) => book.id);

  it('defaults to page 1, limit 20, sorted by createdAt, with the total of the table', async () => {
    const page = await list('');
    const total = await countBooks(fixture.db.url);
    expect(page.meta).toEqual({ page: 1, limit: 20, total });
    expect(page.data).toHaveLength(20);
    const [first] = await query<{ id: string }>(fixture.db.url, 'SELECT id FROM books ORDER BY created_at, id LIMIT 1');
    expect(page.data[0].id).toBe(first.id);
  });

  it('limit up to 100 and later pages; a page past the end is empty but keeps the total', async () => {
    const total = await countBooks(fixture.db.url);
    const all = await list('limit=100');
    expect(all.data).toHaveLength(Math.min(100, total));
    expect(all.meta).toEqual({ page: 1, limit: 100, total });
    const second = await list('limit=10&page=2');
    expect(second.meta).toEqual({ page: 2, limit: 10, total });
    expect(idsOf(second)).toEqual(idsOf(all).slice(10, 20));
    const beyond = await list('limit=10&page=1000');
    expect(beyond).toEqual({ data: [], meta: { page: 1000, limit: 10, total } });
  });

  describe('q: case-insensitive substring of title or author', () => {
    it('folds non-ASCII case both ways (ü finds Ü, Ü finds ü) and does not fold ü into u', async () => {
      for (const q of ['über', 'ÜBER', 'üBeR']) {
        const page = await list(`q=${encodeURIComponent(q)}`);
        expect(titlesOf(page)).toEqual(['ÜBERSICHT', 'Über Alles']);
        expect(page.meta.total).toBe(2);
      }
      expect(titlesOf(await list('q=uber'))).toEqual(['uber ascii']);
    });

    it('matches the author as well as the title', async () => {
      expect(titlesOf(await list('q=LEECH'))).toEqual(['by leech']);
      expect(titlesOf(await list('q=ann%20le'))).toEqual(['by ann', 'by leech']);
    });

    it('treats %, _ and \\ literally', async () => {
      expect(titlesOf(await list(`q=${encodeURIComponent('100%')}`))).toEqual(['100% Pure']);
      expect(titlesOf(await list(`q=${encodeURIComponent('snake_c')}`))).toEqual(['snake_case']);
      expect(titlesOf(await list(`q=${encodeURIComponent('ake_')}`))).toEqual(['snake_case']);
      expect(titlesOf(await list(`q=${encodeURIComponent('% Pure')}`))).toEqual(['100% Pure']);
      expect(titlesOf(await list(`q=${encodeURIComponent(':\\boo')}`))).toEqual(['C:\\books']);
      expect((await list(`q=${encodeURIComponent('\\books')}`)).meta.total).toBe(1);
    });
  });

  it('author is an exact, case-sensitive match', async () => {
    const page = await list(`author=${encodeURIComponent('Ann Lee')}`);
    expect(idsOf(page)).toEqual([ids.annLee]);
    expect(page.meta.total).toBe(1);
    expect((await list(`author=${encodeURIComponent('ann lee')}`)).data).toEqual([]);
    expect((await list('author=Ann')).data).toEqual([]);
  });

  it('isbn finds the book whatever form the ISBN is given in', async () => {
    const { isbn10, isbn13 } = searchIsbn;
    const forms = [
      isbn13,
      isbn10,
      `978-${isbn13.slice(3, 12)}-${isbn13[12]}`,
      `${isbn10.slice(0, 3)} ${isbn10.slice(3)}`,
    ];
    for (const form of forms) {
      const page = await list(`isbn=${encodeURIComponent(form)}`);
      expect(idsOf(page)).toEqual([ids.annLee]);
      expect(page.data[0].isbn).toBe(isbn13);
    }
    expect((await list(`isbn=${uniqueIsbn10().isbn13}`)).meta.total).toBe(0);
  });

  it('publishedFrom and publishedTo are inclusive, alone or together, and combine with other filters', async () => {
    const rows = await query<{ published_year: number }>(fixture.db.url, 'SELECT published_year FROM books');
    const count = (from: number, to: number) =>
      rows.filter((row) => row.published_year >= from && row.published_year <= to).length;
    expect((await list('publishedFrom=2010&limit=100')).meta.total).toBe(count(2010, 9999));
    expect((await list('publishedTo=1950&limit=100')).meta.total).toBe(count(-2000, 1950));
    const between = await list('publishedFrom=1990&publishedTo=1990&limit=100');
    expect(between.meta.total).toBe(count(1990, 1990));
    expect(between.data.every((book) => book.publishedYear === 1990)).toBe(true);
    expect((await list('publishedFrom=-500&publishedTo=-500')).data.map((b) => b.title)).toEqual(['bravo']);
    expect((await list('publishedFrom=2011&publishedTo=2010')).meta.total).toBe(0);
    const combined = await list(`q=ann&publishedFrom=2011&author=${encodeURIComponent('Ann Leech')}`);
    expect(idsOf(combined)).toEqual([ids.annLeech]);
  });

  it('a words search cursor on a schema made by DB_SCHEMA_MODE=sync (no book_words): a page, not a 500', async () => {
    const cursor = encodeCursor({
      sort: 'relevance',
      order: 'desc',
      key: '0.5',
      id: '3f1c2a7e-8a4b-4c1d-9f7e-2b6d5c4a3e21',
      words: { asOf: '2026-11-25T12:00:00.000000Z', last: 'ffffffff-0000-4000-8000-000000000001' },
    });
    const [{ missing }] = await query<{ missing: boolean }>(
      fixture.db.url,
      `SELECT to_regclass('book_words') IS NULL AS missing`,
    );
    expect(missing).toBe(true);
    const result = await list(`search=winter%20cathedral&cursor=${cursor}`);
    expect(result.meta).toMatchObject({ limit: 20, nextCursor: null });
  });

  describe('sort and order', () => {
    // Each book's rank under the database's own ordering of each column (its collation, and
    // microseconds where JSON dates stop at milliseconds); the API must follow it, then id.
    let ranks: Map<string, Record<SortField, number>>;
    beforeAll(async () => {
      const rows = await query<{ id: string } & Record<SortField, number>>(
        fixture.db.url,
        `SELECT id,
                dense_rank() OVER (ORDER BY title)::int AS "title",
                dense_rank() OVER (ORDER BY author)::int AS "author",
                dense_rank() OVER (ORDER BY published_year)::int AS "publishedYear",
                dense_rank() OVER (ORDER BY created_at)::int AS "createdAt"
           FROM books`,
      );
      ranks = new Map(rows.map((row) => [row.id, row]));
    });

    const key = (book: ListedBook, field: SortField): number => ranks.get(book.id)![field];

    for (const field of SORT_FIELDS) {
      for (const order of ['asc', 'desc'] as const) {
        it(`sort=${field}&order=${order} orders every book, ties by id in the same direction`, async () => {
          const page = await list(`sort=${field}&order=${order}&limit=100`);
          expect(page.data).toHaveLength(await countBooks(fixture.db.url));
          const sign = order === 'asc' ? 1 : -1;
          for (let i = 1; i < page.data.length; i++) {
            const [a, b] = [page.data[i - 1], page.data[i]];
            const [ka, kb] = [key(a, field), key(b, field)];
            const cmp = ka < kb ? -1 : ka > kb ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
            expect({ i, a: [ka, a.id], b: [kb, b.id], ordered: cmp * sign < 0 }).toMatchObject({ ordered: true });
          }
        });
      }
    }

    it('order defaults to asc', async () => {
      expect(idsOf(await list('sort=title&limit=100'))).toEqual(idsOf(await list('sort=title&order=asc&limit=100')));
    });
  });

  describe('stable pages over 45 books with the same title, year and created_at', () => {
    const expectedIds = async (order: 'asc' | 'desc') =>
      (
        await query<{ id: string }>(
          fixture.db.url,
          `SELECT id FROM books WHERE author = 'tie author' ORDER BY id ${order === 'asc' ? 'ASC' : 'DESC'}`,
        )
      ).map((row) => row.id);

    for (const sort of SORT_FIELDS) {
      for (const order of ['asc', 'desc'] as const) {
        it(`pages of 7 by ${sort} ${order} neither overlap nor skip`, async () => {
          const seen: string[] = [];
          for (let page = 1; page <= 7; page++) {
            const result = await list(`author=tie%20author&sort=${sort}&order=${order}&limit=7&page=${page}`);
            expect(result.meta).toEqual({ page, limit: 7, total: 45 });
            expect(result.data).toHaveLength(page < 7 ? 7 : 3);
            seen.push(...idsOf(result));
          }
          expect(new Set(seen).size).toBe(45);
          expect(seen).toEqual(await expectedIds(order));
        });
      }
    }
  });
});
