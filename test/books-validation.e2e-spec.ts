import { useBooksApp } from './helpers/books-app';
import { allBookRows, bookInput, bookRow, BookRow } from './factories/book.factory';
import { expectProblem } from './helpers/expect-problem';

const YEAR = new Date().getUTCFullYear();

describe('Books API: validation, every kind of 400 (real PostgreSQL)', () => {
  let snapshot: BookRow[];
  const fixture = useBooksApp('books_validation');

  const api = () => fixture.api();

  beforeAll(async () => {
    // A few rows, so "nothing changed" means something.
    for (let i = 0; i < 3; i++) await api().post('/books').send(bookInput()).expect(201);
  });
  beforeEach(async () => {
    snapshot = await allBookRows(fixture.db.url);
  });

  /** Every refused write must leave the table exactly as it was. */
  async function expectTableUnchanged(): Promise<void> {
    await expect(allBookRows(fixture.db.url)).resolves.toEqual(snapshot);
  }

  describe('POST /books body', () => {
    const bad: [string, Record<string, unknown>, string][] = [
      ['title missing', { title: undefined }, 'title'],
      ['title empty', { title: '' }, 'title'],
      ['title blank after trimming', { title: ' \t\n ' }, 'title'],
      ['title over 300 characters', { title: 'a'.repeat(301) }, 'title'],
      [
        'title over 300 code points once variation selectors count',
        { title: 'a'.repeat(299) + '\uFE0F\uFE0F' },
        'title',
      ],
      ['title a number', { title: 123 }, 'title'],
      ['title null', { title: null }, 'title'],
      ['title with a NUL character', { title: 'a\u0000b' }, 'title'],
      ['author empty after trimming', { author: '   ' }, 'author'],
      ['author over 200 characters', { author: 'b'.repeat(201) }, 'author'],
      ['author an array', { author: ['x'] }, 'author'],
      ['isbn with a wrong checksum', { isbn: '978-0-306-40615-8' }, 'isbn'],
      ['isbn-10 with a wrong checksum', { isbn: '0-306-40615-3' }, 'isbn'],
      ['isbn too short', { isbn: '12345' }, 'isbn'],
      ['isbn a number', { isbn: 9780306406157 }, 'isbn'],
      ['isbn missing', { isbn: undefined }, 'isbn'],
      ['publishedYear below -2000', { publishedYear: -2001 }, 'publishedYear'],
      ['publishedYear after the current year', { publishedYear: YEAR + 1 }, 'publishedYear'],
      ['publishedYear a fraction', { publishedYear: 1999.5 }, 'publishedYear'],
      ['publishedYear a string', { publishedYear: '1999' }, 'publishedYear'],
      ['publishedYear null', { publishedYear: null }, 'publishedYear'],
      ['pageCount 0', { pageCount: 0 }, 'pageCount'],
      ['pageCount over 100000', { pageCount: 100001 }, 'pageCount'],
      ['pageCount a fraction', { pageCount: 1.5 }, 'pageCount'],
      ['pageCount a string', { pageCount: '12' }, 'pageCount'],
      ['summary empty', { summary: '' }, 'summary'],
      ['summary blank after trimming', { summary: '   ' }, 'summary'],
      ['summary over 10000 characters', { summary: 's'.repeat(10001) }, 'summary'],
      ['an unknown field', { color: 'red' }, 'color'],
      ['id', { id: '3f1c2a7e-8a4b-4c1d-9f7e-2b6d5c4a3e21' }, 'id'],
      ['version', { version: 1 }, 'version'],
      ['createdAt', { createdAt: '2020-01-01T00:00:00Z' }, 'createdAt'],
      ['updatedAt', { updatedAt: '2020-01-01T00:00:00Z' }, 'updatedAt'],
      ['a prototype key', { prototype: { polluted: true } }, 'prototype'],
    ];

    it.each(bad)('400 for %s, naming the field', async (_label, change, field) => {
      const res = await api()
        .post('/books')
        .send({ ...bookInput(), ...change });
      expectProblem(res, 400, { type: 'validation-error', fields: [field] });
      await expectTableUnchanged();
    });

    it('400 for a constructor key (Nest would silently drop it), at the top or inside a batch item', async () => {
      const book = JSON.stringify(bookInput()).slice(0, -1);
      const top = await api().post('/books').set('Content-Type', 'application/json').send(`${book},"constructor":"x"}`);
      expectProblem(top, 400, { type: 'validation-error', fields: ['constructor'] });
      const nested = await api()
        .post('/books/batch')
        .set('Content-Type', 'application/json')
        .send(`{"books":[${JSON.stringify(bookInput())},${book},"constructor":{"name":"x"}}]}`);
      expectProblem(nested, 400, { type: 'validation-error', fields: ['books[1].constructor'] });
      await expectTableUnchanged();
    });

    it('400 for __proto__ and constructor.prototype keys (refused by the JSON parser)', async () => {
      const book = JSON.stringify(bookInput()).slice(0, -1);
      for (const tail of [',"__proto__":{"polluted":true}}', ',"constructor":{"prototype":{"polluted":true}}}']) {
        const res = await api()
          .post('/books')
          .set('Content-Type', 'application/json')
          .send(book + tail);
        expectProblem(res, 400, { detail: /__proto__/ });
      }
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      await expectTableUnchanged();
    });

    it('400 for malformed JSON, an empty JSON body, and JSON that is not an object', async () => {
      const send = (body: string) => api().post('/books').set('Content-Type', 'application/json').send(body);
      expectProblem(await send('{"title": "Dune",'), 400, { type: 'bad-request', detail: /not valid JSON/ });
      expectProblem(await send('{"title": "constructor'), 400, { type: 'bad-request', detail: /not valid JSON/ });
      expectProblem(await send(''), 400, { type: 'bad-request', detail: /empty/ });
      for (const body of ['[]', '"a string"', '42', 'null', 'true']) {
        const res = await send(body);
        expectProblem(res, 400);
        expect((res.body as { type: string }).type).toMatch(/validation-error|bad-request/);
      }
      await expectTableUnchanged();
    });

    it('400 lists every invalid field of the body', async () => {
      const res = await api().post('/books').send({ title: '', author: '', isbn: 'x', publishedYear: 'y' });
      expectProblem(res, 400, { type: 'validation-error', fields: ['title', 'author', 'isbn', 'publishedYear'] });
      await expectTableUnchanged();
    });
  });

  describe('the bounds themselves are accepted', () => {
    it.each([
      ['title of 300 characters', { title: 't'.repeat(300) }],
      ['title of 300 emoji (600 UTF-16 units)', { title: '📚'.repeat(300) }],
      ['author of 200 characters', { author: 'ä'.repeat(200) }],
      ['publishedYear -2000', { publishedYear: -2000 }],
      ['publishedYear the current year', { publishedYear: YEAR }],
      ['publishedYear 0', { publishedYear: 0 }],
      ['pageCount 1', { pageCount: 1 }],
      ['pageCount 100000', { pageCount: 100000 }],
      ['summary of 10000 characters', { summary: 'z'.repeat(10000) }],
    ])('201 for %s, stored as sent', async (_label, change) => {
      const res = await api()
        .post('/books')
        .send({ ...bookInput(), ...change })
        .expect(201);
      const row = await bookRow(fixture.db.url, (res.body as { id: string }).id);
      const columns: Record<string, string> = {
        title: 'title',
        author: 'author',
        publishedYear: 'published_year',
        pageCount: 'page_count',
        summary: 'summary',
      };
      for (const [key, value] of Object.entries(change)) {
        expect(row?.[columns[key] as keyof BookRow]).toEqual(value);
      }
    });
  });

  describe('GET /books query', () => {
    it.each([
      ['an unknown parameter', 'foo=1', 'foo'],
      ['__proto__', '__proto__=1', '__proto__'],
      ['constructor', 'constructor=1', 'constructor'],
      ['limit over 100', 'limit=101', 'limit'],
      ['limit 0', 'limit=0', 'limit'],
      ['limit not a number', 'limit=ten', 'limit'],
      ['limit a fraction', 'limit=1.5', 'limit'],
      ['limit given twice', 'limit=1&limit=2', 'limit'],
      ['page 0', 'page=0', 'page'],
      ['page negative', 'page=-1', 'page'],
      ['sort by an unknown field', 'sort=price', 'sort'],
      ['sort by a column name', 'sort=published_year', 'sort'],
      ['order neither asc nor desc', 'order=up', 'order'],
      ['isbn with a wrong checksum', 'isbn=9780306406158', 'isbn'],
      ['publishedFrom not a number', 'publishedFrom=soon', 'publishedFrom'],
      ['publishedTo a fraction', 'publishedTo=1999.5', 'publishedTo'],
      ['publishedFrom below -2000', 'publishedFrom=-2001', 'publishedFrom'],
      ['publishedFrom empty (not year 0)', 'publishedFrom=', 'publishedFrom'],
      ['publishedTo blank', 'publishedTo=%20', 'publishedTo'],
      ['limit in hexadecimal', 'limit=0x10', 'limit'],
      ['page in exponent notation', 'page=1e1', 'page'],
      ['q empty', 'q=', 'q'],
      ['q with a NUL character', 'q=a%00b', 'q'],
      ['q over 100 characters', `q=${'q'.repeat(101)}`, 'q'],
      ['q of 200 common trigrams with no spaces', `q=${'the'.repeat(67).slice(0, 200)}`, 'q'],
      ['q of one letter (no trigram)', 'q=a', 'q'],
      ['q of two letters', 'q=ab', 'q'],
      ['q with no 3 letters or digits in a row', 'q=ab%20cd%25_', 'q'],
      ['search empty', 'search=', 'search'],
      ['search without a letter or digit', 'search=%22-%22', 'search'],
      ['search over 200 characters', `search=${'s'.repeat(201)}`, 'search'],
      ['author with a NUL character', 'author=%00', 'author'],
    ])('400 for %s, naming the parameter', async (_label, queryString, field) => {
      const res = await api().get(`/books?${queryString}`);
      expectProblem(res, 400, { type: 'validation-error', fields: [field] });
    });

    it('200 for a q of exactly 100 characters, matching the book that holds it', async () => {
      const term = 'ü'.repeat(50) + 'x'.repeat(50);
      const created = await api()
        .post('/books')
        .send(bookInput({ title: `Long ${term} title` }))
        .expect(201);
      const res = await api().get(`/books?q=${encodeURIComponent(term)}`).expect(200);
      expect((res.body as { data: { id: string }[] }).data.map((book) => book.id)).toEqual([
        (created.body as { id: string }).id,
      ]);
    });
  });
});
