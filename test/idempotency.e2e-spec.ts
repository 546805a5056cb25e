import { randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import { bookInput } from './factories/book.factory';
import { useBooksApp, useTestDatabase } from './helpers/books-app';
import { expectProblem } from './helpers/expect-problem';
import { query } from './helpers/test-database';

/** The suites run without credentials, as the other in-process suites do. */
const ENV = { AUTH_DISABLED: 'true' };

interface BookBody {
  id: string;
  title: string;
  version: number;
}

/** Two instances of the service on one database: a retry may land on either. */
describe('Idempotency-Key: replays (real PostgreSQL, two instances)', () => {
  const database = useTestDatabase('idempotency');
  const first = useBooksApp(database, ENV);
  const second = useBooksApp(database, ENV);

  const keyRows = (key: string) =>
    query<{ method: string; route: string; status: number }>(
      database.db.url,
      'SELECT method, route, status FROM idempotency_keys WHERE key = $1',
      [key],
    );
  const booksWithIsbn = async (isbn: string) =>
    (await query<{ n: number }>(database.db.url, 'SELECT count(*)::int AS n FROM books WHERE isbn = $1', [isbn]))[0].n;

  function expectReplayOf(retry: Response, original: Response): void {
    expect(retry.status).toBe(original.status);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.text).toBe(original.text);
    expect(retry.headers.location).toBe(original.headers.location);
    expect(retry.headers.etag).toBe(original.headers.etag);
  }

  it('a POST retried through the other instance gets the first answer, and one book exists', async () => {
    const key = randomUUID();
    const book = bookInput();
    const created = await first.api().post('/books').set('Idempotency-Key', key).send(book).expect(201);
    expect(created.headers['idempotent-replayed']).toBeUndefined();
    const retried = await second.api().post('/books').set('Idempotency-Key', key).send(book);
    expectReplayOf(retried, created);
    expect(retried.headers.location).toBe(`/books/${(created.body as BookBody).id}`);
    // Quoted (RFC 8941 string) or bare, it is the same key.
    expectReplayOf(await first.api().post('/books').set('Idempotency-Key', `"${key}"`).send(book), created);
    await expect(booksWithIsbn(book.isbn)).resolves.toBe(1);
    await expect(keyRows(key)).resolves.toEqual([{ method: 'POST', route: '/books', status: 201 }]);
  });

  it('the same body with its keys in another order replays; a different body is a 422', async () => {
    const key = randomUUID();
    const book = bookInput();
    const created = await first.api().post('/books').set('Idempotency-Key', key).send(book).expect(201);
    const reordered = Object.fromEntries(Object.entries(book).reverse());
    expect(Object.keys(reordered)).not.toEqual(Object.keys(book));
    expectReplayOf(await second.api().post('/books').set('Idempotency-Key', key).send(reordered), created);
    const other = await second
      .api()
      .post('/books')
      .set('Idempotency-Key', key)
      .send({ ...book, title: 'Another title' });
    expectProblem(other, 422, { type: 'idempotency-key-reused' });
    // The key is per route: the same key on another route is another request.
    const elsewhere = bookInput();
    await first
      .api()
      .post('/books/batch')
      .set('Idempotency-Key', key)
      .send({ books: [elsewhere] })
      .expect(201);
    await expect(booksWithIsbn(elsewhere.isbn)).resolves.toBe(1);
  });

  it('a retried PATCH gets the first 200, not 412, whatever If-Match says', async () => {
    const book = (await first.api().post('/books').send(bookInput()).expect(201)).body as BookBody;
    const key = randomUUID();
    const patched = await first
      .api()
      .patch(`/books/${book.id}`)
      .set('If-Match', '"1"')
      .set('Idempotency-Key', key)
      .send({ title: 'Second edition' })
      .expect(200);
    expect(patched.headers.etag).toBe('"2"');
    for (const ifMatch of ['"1"', '"2"', undefined]) {
      const retry = second.api().patch(`/books/${book.id}`).set('Idempotency-Key', key);
      expectReplayOf(
        await (ifMatch ? retry.set('If-Match', ifMatch) : retry).send({ title: 'Second edition' }),
        patched,
      );
    }
    const [row] = await query<{ version: number }>(database.db.url, 'SELECT version FROM books WHERE id = $1', [
      book.id,
    ]);
    expect(row.version).toBe(2);
    // The same key for another book is another request.
    const otherBook = second.api().patch(`/books/${randomUUID()}`).set('If-Match', '"1"').set('Idempotency-Key', key);
    expectProblem(await otherBook.send({ title: 'Second edition' }), 422, { type: 'idempotency-key-reused' });
  });

  it('a retried DELETE gets the first 204, not 404', async () => {
    const book = (await first.api().post('/books').send(bookInput()).expect(201)).body as BookBody;
    const key = randomUUID();
    const deleted = await first.api().delete(`/books/${book.id}`).set('Idempotency-Key', key).expect(204);
    expectReplayOf(
      await second.api().delete(`/books/${book.id}`).set('Idempotency-Key', key).set('If-Match', '"7"'),
      deleted,
    );
    await second.api().delete(`/books/${book.id}`).expect(404);
  });

  it('a retried batch replays and does not double the rows', async () => {
    const key = randomUUID();
    const books = [bookInput(), bookInput(), bookInput()];
    const created = await first.api().post('/books/batch').set('Idempotency-Key', key).send({ books }).expect(201);
    expectReplayOf(await second.api().post('/books/batch').set('Idempotency-Key', key).send({ books }), created);
    for (const book of books) await expect(booksWithIsbn(book.isbn)).resolves.toBe(1);
  });

  it('a request that fails records nothing, so its retry runs again', async () => {
    const key = randomUUID();
    const book = bookInput();
    const invalid = await first
      .api()
      .post('/books')
      .set('Idempotency-Key', key)
      .send({ ...book, publishedYear: 'soon' });
    expectProblem(invalid, 400, { type: 'validation-error' });
    const taken = (await first.api().post('/books').send(bookInput()).expect(201)).body as { isbn: string };
    expectProblem(
      await first
        .api()
        .post('/books')
        .set('Idempotency-Key', key)
        .send({ ...book, isbn: taken.isbn }),
      409,
    );
    await expect(keyRows(key)).resolves.toEqual([]);
    const created = await second.api().post('/books').set('Idempotency-Key', key).send(book).expect(201);
    expect(created.headers['idempotent-replayed']).toBeUndefined();
  });

  it('refuses a key that is empty, too long or not visible ASCII with a 400, before any write', async () => {
    const book = bookInput();
    for (const key of ['', '""', 'k'.repeat(256), 'two words', '"open', 'a,b']) {
      const res = await first.api().post('/books').set('Idempotency-Key', key).send(book);
      expectProblem(res, 400, { type: 'invalid-idempotency-key', fields: ['Idempotency-Key'] });
    }
    await expect(booksWithIsbn(book.isbn)).resolves.toBe(0);
    await first.api().post('/books').set('Idempotency-Key', 'k'.repeat(255)).send(book).expect(201);
  });

  it('OpenAPI documents the header, its expiry, the replay marker and the 400, 409 and 422 answers', async () => {
    const doc = (await first.api().get('/docs-json').expect(200)).body as {
      paths: Record<
        string,
        Record<
          string,
          {
            parameters?: { name: string; in: string; description: string; required?: boolean }[];
            responses: Record<string, { headers?: Record<string, unknown> }>;
          }
        >
      >;
    };
    const operations = [
      doc.paths['/books'].post,
      doc.paths['/books/batch'].post,
      doc.paths['/books/{id}'].patch,
      doc.paths['/books/{id}'].delete,
    ];
    for (const operation of operations) {
      const header = operation.parameters?.find((p) => p.in === 'header' && p.name === 'Idempotency-Key');
      expect(header).toMatchObject({ required: false });
      expect(header?.description).toContain('Keys expire 24 hours after their first use');
      expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['400', '409', '422']));
      const success = Object.entries(operation.responses).find(([status]) => status.startsWith('2'))?.[1];
      expect(Object.keys(success?.headers ?? {})).toContain('Idempotent-Replayed');
    }
    expect(doc.paths['/books'].get.parameters?.some((p) => p.name === 'Idempotency-Key')).toBe(false);
  });
});
