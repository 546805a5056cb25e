import { useBooksApp } from './helpers/books-app';
import { allBookRows, bookInput, BookRow, countBooks, uniqueIsbn10 } from './factories/book.factory';
import { expectProblem } from './helpers/expect-problem';
import { query } from './helpers/test-database';

interface BookBody {
  id: string;
  title: string;
  isbn: string;
  version: number;
}

describe('POST /books/batch: all or nothing (real PostgreSQL)', () => {
  let snapshot: BookRow[];
  let existing: BookBody;
  const fixture = useBooksApp('books_batch');

  const api = () => fixture.api();

  beforeAll(async () => {
    existing = (
      await api()
        .post('/books')
        .send(bookInput({ title: 'already here' }))
        .expect(201)
    ).body as BookBody;
  });
  beforeEach(async () => {
    snapshot = await allBookRows(fixture.db.url);
  });

  async function expectTableUnchanged(): Promise<void> {
    await expect(allBookRows(fixture.db.url)).resolves.toEqual(snapshot);
  }

  it('201: every book created, answered in input order, with normalised ISBNs; the rows match', async () => {
    const { isbn10, isbn13 } = uniqueIsbn10();
    // Titles in reverse alphabetical order and ISBNs not sorted, so no accidental ordering helps.
    const books = Array.from({ length: 30 }, (_, i) => bookInput({ title: `  item ${String(99 - i)}  ` }));
    books[7].isbn = isbn10;
    const res = await api().post('/books/batch').send({ books }).expect(201);
    const data = (res.body as { data: BookBody[] }).data;
    expect(data).toHaveLength(30);
    expect(data.map((book) => book.title)).toEqual(books.map((book) => book.title.trim()));
    expect(data[7].isbn).toBe(isbn13);
    expect(data.every((book) => book.version === 1)).toBe(true);
    const rows = await query<{ id: string; title: string; isbn: string }>(
      fixture.db.url,
      'SELECT id, title, isbn FROM books WHERE id = ANY($1::uuid[])',
      [data.map((book) => book.id)],
    );
    const byId = new Map(rows.map((row) => [row.id, row]));
    expect(rows).toHaveLength(30);
    data.forEach((book) => expect(byId.get(book.id)).toEqual({ id: book.id, title: book.title, isbn: book.isbn }));
    await expect(countBooks(fixture.db.url)).resolves.toBe(snapshot.length + 30);
  });

  it('1000 books (the maximum) are accepted', async () => {
    const books = Array.from({ length: 1000 }, (_, i) => bookInput({ title: `bulk ${i}`, summary: null }));
    const res = await api().post('/books/batch').send({ books }).expect(201);
    expect((res.body as { data: BookBody[] }).data.map((book) => book.title)).toEqual(books.map((b) => b.title));
    await expect(countBooks(fixture.db.url)).resolves.toBe(snapshot.length + 1000);
  });

  it('400: 1001 books, and nothing is stored', async () => {
    const books = Array.from({ length: 1001 }, () => bookInput({ summary: null }));
    expectProblem(await api().post('/books/batch').send({ books }), 400, {
      type: 'validation-error',
      fields: ['books'],
    });
    await expectTableUnchanged();
  });

  it('400: an empty batch, a missing or non-array books, an extra top-level field', async () => {
    for (const body of [{ books: [] }, {}, { books: 'x' }, { books: [bookInput()], extra: 1 }, { books: [null] }]) {
      expectProblem(await api().post('/books/batch').send(body), 400, { type: 'validation-error' });
    }
    await expectTableUnchanged();
  });

  it('400: one invalid item among valid ones leaves the table unchanged and names its index', async () => {
    const books = Array.from({ length: 10 }, () => bookInput());
    books[6] = { ...books[6], publishedYear: 99999 };
    const res = await api().post('/books/batch').send({ books });
    expectProblem(res, 400, { type: 'validation-error', fields: ['books[6].publishedYear'], detail: /books\[6\]/ });
    const unknown = await api()
      .post('/books/batch')
      .send({ books: [bookInput(), { ...bookInput(), version: 3 }] });
    expectProblem(unknown, 400, { fields: ['books[1].version'] });
    await expectTableUnchanged();
  });

  it('409: a duplicate against the table leaves the table unchanged and names the index of the item', async () => {
    const books = Array.from({ length: 8 }, () => bookInput());
    books[5].isbn = existing.isbn;
    const res = await api().post('/books/batch').send({ books });
    expectProblem(res, 409, { type: 'conflict', fields: ['books[5].isbn'], detail: /books\[5\]/ });
    await expectTableUnchanged();
  });

  it('409: a duplicate inside the batch (in any ISBN form) names the repeating item and the one it repeats', async () => {
    const { isbn10, isbn13 } = uniqueIsbn10();
    const books = Array.from({ length: 6 }, () => bookInput());
    books[1].isbn = isbn13;
    books[4].isbn = isbn10;
    const res = await api().post('/books/batch').send({ books });
    expectProblem(res, 409, { type: 'conflict', fields: ['books[4].isbn'], detail: /books\[4\].*books\[1\]/ });
    await expectTableUnchanged();
  });

  it('409: the first bad item is named, whether it clashes with the table or with an earlier item', async () => {
    const { isbn13 } = uniqueIsbn10();
    // Item 2 clashes with the table before item 4 repeats item 3.
    const tableFirst = Array.from({ length: 6 }, () => bookInput());
    tableFirst[2].isbn = existing.isbn;
    tableFirst[3].isbn = isbn13;
    tableFirst[4].isbn = isbn13;
    expectProblem(await api().post('/books/batch').send({ books: tableFirst }), 409, { fields: ['books[2].isbn'] });
    // Item 2 repeats item 0 before item 4 clashes with the table.
    const repeatFirst = Array.from({ length: 6 }, () => bookInput());
    repeatFirst[2].isbn = repeatFirst[0].isbn;
    repeatFirst[4].isbn = existing.isbn;
    expectProblem(await api().post('/books/batch').send({ books: repeatFirst }), 409, { fields: ['books[2].isbn'] });
    await expectTableUnchanged();
  });

  it('409 for a batch of one names books[0], unlike POST /books which names isbn', async () => {
    const res = await api()
      .post('/books/batch')
      .send({ books: [bookInput({ isbn: existing.isbn })] });
    expectProblem(res, 409, { fields: ['books[0].isbn'] });
    await expectTableUnchanged();
  });
});
