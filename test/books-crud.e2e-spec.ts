import * as http from 'node:http';
import request from 'supertest';
import { useBooksApp } from './helpers/books-app';
import { allBookRows, bookInput, bookRow, countBooks, uniqueIsbn10 } from './factories/book.factory';
import { expectProblem } from './helpers/expect-problem';
import { query } from './helpers/test-database';

interface BookBody {
  id: string;
  title: string;
  author: string;
  isbn: string;
  publishedYear: number;
  pageCount: number | null;
  summary: string | null;
  createdAt: string;
  updatedAt: string;
  version: number;
  createdBy: string | null;
  updatedBy: string | null;
}

const MISSING_ID = '00000000-0000-4000-8000-000000000000';

/** supertest always sends a Content-Type with a body; node:http sends none unless told. */
function postWithoutContentType(
  url: string,
  body: string,
): Promise<{ status: number; contentType?: string; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { 'Content-Length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'], body: JSON.parse(text) }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('Books API: routes and statuses (real PostgreSQL)', () => {
  const fixture = useBooksApp('books_crud');

  const api = () => fixture.api();

  async function createBook(overrides = {}): Promise<BookBody> {
    const res = await api().post('/books').send(bookInput(overrides)).expect(201);
    return res.body as BookBody;
  }

  describe('POST /books', () => {
    it('201: trims strings, stores ISBN-10 as ISBN-13, answers Location and ETag, and the row matches', async () => {
      const { isbn10, isbn13 } = uniqueIsbn10();
      const hyphenated = `${isbn10.slice(0, 1)}-${isbn10.slice(1, 4)}-${isbn10.slice(4, 9)}-${isbn10.slice(9)}`;
      const res = await api()
        .post('/books')
        .send({
          title: '  Dune  ',
          author: '\tFrank Herbert\n',
          isbn: ` ${hyphenated} `,
          publishedYear: 1965,
          pageCount: 412,
          summary: '  A desert planet.  ',
        })
        .expect(201);
      const book = res.body as BookBody;
      expect(book).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        title: 'Dune',
        author: 'Frank Herbert',
        isbn: isbn13,
        publishedYear: 1965,
        pageCount: 412,
        summary: 'A desert planet.',
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
        version: 1,
        // No credential reaches this app, so nobody is recorded.
        createdBy: null,
        updatedBy: null,
      });
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.headers.location).toBe(`/books/${book.id}`);
      expect(res.headers.etag).toBe('"1"');
      // No replicas here: every read sees every write, so no write reads its commit position for a token.
      expect(res.headers['consistency-token']).toBeUndefined();
      await expect(bookRow(fixture.db.url, book.id)).resolves.toMatchObject({
        title: 'Dune',
        author: 'Frank Herbert',
        isbn: isbn13,
        published_year: 1965,
        page_count: 412,
        summary: 'A desert planet.',
        version: 1,
      });
      // The Location header leads to the book.
      await api().get(res.headers.location).expect(200);
    });

    it('201: optional fields may be left out or null, and are stored as NULL', async () => {
      const input = bookInput({ summary: null });
      delete input.pageCount;
      const res = await api().post('/books').send(input).expect(201);
      expect(res.body).toMatchObject({ pageCount: null, summary: null });
      await expect(bookRow(fixture.db.url, (res.body as BookBody).id)).resolves.toMatchObject({
        page_count: null,
        summary: null,
      });
    });

    it('409: an ISBN that is already taken (in any form), and no second row', async () => {
      const { isbn10, isbn13 } = uniqueIsbn10();
      await createBook({ isbn: isbn13 });
      const before = await countBooks(fixture.db.url);
      const res = await api()
        .post('/books')
        .send(bookInput({ isbn: isbn10 }));
      expectProblem(res, 409, { type: 'conflict', fields: ['isbn'], detail: isbn13 });
      await expect(countBooks(fixture.db.url)).resolves.toBe(before);
      await expect(query(fixture.db.url, 'SELECT id FROM books WHERE isbn = $1', [isbn13])).resolves.toHaveLength(1);
    });

    it('400: a client cannot set id, version, createdAt or updatedAt', async () => {
      for (const field of ['id', 'version', 'createdAt', 'updatedAt']) {
        const value = field === 'id' ? MISSING_ID : field === 'version' ? 7 : '2001-01-01T00:00:00Z';
        const res = await api()
          .post('/books')
          .send({ ...bookInput(), [field]: value });
        expectProblem(res, 400, { type: 'validation-error', fields: [field] });
      }
      await expect(query(fixture.db.url, 'SELECT id FROM books WHERE id = $1', [MISSING_ID])).resolves.toEqual([]);
    });

    it('415: a text/plain body, and a body without Content-Type; nothing stored', async () => {
      const before = await allBookRows(fixture.db.url);
      const json = JSON.stringify(bookInput());
      const plain = await api().post('/books').set('Content-Type', 'text/plain').send(json);
      expectProblem(plain, 415, { type: 'unsupported-media-type', detail: /application\/json/ });
      const none = await postWithoutContentType(`${fixture.baseUrl}/books`, json);
      expect(none.status).toBe(415);
      expect(none.contentType).toMatch(/^application\/problem\+json/);
      expect(none.body).toMatchObject({ type: '/problems/unsupported-media-type', status: 415, instance: '/books' });
      await expect(allBookRows(fixture.db.url)).resolves.toEqual(before);
    });

    it('415: a form-encoded body (which Nest would parse) on POST, batch and PATCH; nothing changes', async () => {
      const created = await createBook({ title: 'Kept' });
      const before = await allBookRows(fixture.db.url);
      const form = 'title=Changed&author=A&isbn=9780306406157&publishedYear=1999';
      for (const req of [
        api().post('/books'),
        api().post('/books/batch'),
        api().patch(`/books/${created.id}`).set('If-Match', '"1"'),
      ]) {
        expectProblem(await req.type('form').send(form), 415, { type: 'unsupported-media-type' });
      }
      const merge = await api()
        .patch(`/books/${created.id}`)
        .set('If-Match', '"1"')
        .set('Content-Type', 'application/merge-patch+json')
        .send('{"title":"Changed"}');
      expectProblem(merge, 415);
      await expect(allBookRows(fixture.db.url)).resolves.toEqual(before);
      // JSON with a charset parameter is JSON.
      await api()
        .patch(`/books/${created.id}`)
        .set('If-Match', '"1"')
        .set('Content-Type', 'application/json; charset=utf-8')
        .send('{"title":"Changed"}')
        .expect(200);
    });
  });

  describe('GET /books/:id', () => {
    it('200 with a strong ETag, and the body is the row', async () => {
      const created = await createBook();
      const res = await api().get(`/books/${created.id}`).expect(200);
      expect(res.headers.etag).toBe('"1"');
      expect(res.body).toEqual(created);
      const row = (await bookRow(fixture.db.url, created.id))!;
      expect(new Date((res.body as BookBody).updatedAt).getTime()).toBe(row.updated_at.getTime());
      expect((res.body as BookBody).version).toBe(row.version);
    });

    it('400 for a malformed Consistency-Token; a well-formed one reads the primary', async () => {
      const created = await createBook();
      for (const token of ['yesterday', '0/XYZ']) {
        expectProblem(await api().get(`/books/${created.id}`).set('Consistency-Token', token), 400, {
          type: 'validation-error',
          detail: /Consistency-Token/,
        });
        expectProblem(await api().get('/books').set('Consistency-Token', token), 400, { type: 'validation-error' });
        // HEAD is a read of the same route.
        await api().head(`/books/${created.id}`).set('Consistency-Token', token).expect(400);
      }
      const res = await api().get(`/books/${created.id}`).set('Consistency-Token', '0/16B3748').expect(200);
      expect(res.headers['x-read-source']).toBe('primary');
      // Only the routes that accept the header check it: a probe is never refused for it.
      await api().get('/health/live').set('Consistency-Token', 'yesterday').expect(200);
    });

    it('304 with no body when If-None-Match matches (strong or weak), 200 when it does not', async () => {
      const created = await createBook();
      for (const tag of ['"1"', 'W/"1"', '"5", "1"', '*']) {
        const res = await api().get(`/books/${created.id}`).set('If-None-Match', tag).expect(304);
        expect(res.headers.etag).toBe('"1"');
        expect(res.text ?? '').toBe('');
      }
      await api().get(`/books/${created.id}`).set('If-None-Match', '"2"').expect(200);
    });

    it('404 for an unknown id; 400 for a non-UUID id', async () => {
      expectProblem(await api().get(`/books/${MISSING_ID}`), 404, { type: 'not-found', detail: MISSING_ID });
      expectProblem(await api().get('/books/not-a-uuid'), 400, { type: 'validation-error', fields: ['id'] });
      expectProblem(await api().get('/books/12345678-1234-1234-1234-1234567890'), 400, { fields: ['id'] });
    });
  });

  describe('PATCH /books/:id', () => {
    it('200: changes only the fields sent, bumps the version by one, answers the new ETag', async () => {
      const created = await createBook({ title: 'Old', pageCount: 100 });
      const { isbn10, isbn13 } = uniqueIsbn10();
      const res = await api()
        .patch(`/books/${created.id}`)
        .set('If-Match', '"1"')
        .send({ title: '  New title ', isbn: isbn10, pageCount: null })
        .expect(200);
      expect(res.headers.etag).toBe('"2"');
      expect(res.body).toMatchObject({
        id: created.id,
        title: 'New title',
        author: created.author,
        isbn: isbn13,
        pageCount: null,
        summary: created.summary,
        version: 2,
        createdAt: created.createdAt,
      });
      const row = (await bookRow(fixture.db.url, created.id))!;
      expect(row).toMatchObject({ title: 'New title', isbn: isbn13, page_count: null, version: 2 });
      expect(row.updated_at.getTime()).toBeGreaterThanOrEqual(new Date(created.updatedAt).getTime());
      expect(row.created_at.toISOString()).toBe(created.createdAt);
    });

    it('200 with If-Match: * whatever the version', async () => {
      const created = await createBook();
      await api().patch(`/books/${created.id}`).set('If-Match', '*').send({ publishedYear: 2001 }).expect(200);
      await expect(bookRow(fixture.db.url, created.id)).resolves.toMatchObject({ published_year: 2001, version: 2 });
    });

    it('428 without If-Match; the row is unchanged', async () => {
      const created = await createBook({ title: 'Kept' });
      const res = await api().patch(`/books/${created.id}`).send({ title: 'Lost' });
      expectProblem(res, 428, { type: 'precondition-required' });
      await expect(bookRow(fixture.db.url, created.id)).resolves.toMatchObject({ title: 'Kept', version: 1 });
    });

    it('412 with a stale, weak or foreign ETag; the row is unchanged', async () => {
      const created = await createBook({ title: 'Kept' });
      await api().patch(`/books/${created.id}`).set('If-Match', '"1"').send({ title: 'Second' }).expect(200);
      for (const tag of ['"1"', 'W/"2"', '"02"', 'garbage', '"99999999999"']) {
        const res = await api().patch(`/books/${created.id}`).set('If-Match', tag).send({ title: 'Lost' });
        expectProblem(res, 412, { type: 'precondition-failed' });
      }
      await expect(bookRow(fixture.db.url, created.id)).resolves.toMatchObject({ title: 'Second', version: 2 });
      // One of several tags matching is enough.
      await api().patch(`/books/${created.id}`).set('If-Match', '"1", "2"').send({ title: 'Third' }).expect(200);
      await expect(bookRow(fixture.db.url, created.id)).resolves.toMatchObject({ title: 'Third', version: 3 });
    });

    it('404 for an unknown id (even with a bad ETag); 400 for a non-UUID id', async () => {
      for (const tag of ['"1"', 'garbage']) {
        const res = await api().patch(`/books/${MISSING_ID}`).set('If-Match', tag).send({ title: 'x' });
        expectProblem(res, 404, { type: 'not-found' });
      }
      const res = await api().patch('/books/nope').set('If-Match', '"1"').send({ title: 'x' });
      expectProblem(res, 400, { fields: ['id'] });
    });

    it('409: an ISBN taken by another book, naming the field; the row is unchanged', async () => {
      const taken = await createBook();
      const created = await createBook();
      const res = await api().patch(`/books/${created.id}`).set('If-Match', '"1"').send({ isbn: taken.isbn });
      expectProblem(res, 409, { type: 'conflict', fields: ['isbn'], detail: taken.isbn });
      await expect(bookRow(fixture.db.url, created.id)).resolves.toMatchObject({ isbn: created.isbn, version: 1 });
      // Its own ISBN is no conflict.
      await api().patch(`/books/${created.id}`).set('If-Match', '"1"').send({ isbn: created.isbn }).expect(200);
    });

    it('400: an empty body, a null for a required field, an unknown field, a server-owned field', async () => {
      const created = await createBook({ title: 'Kept' });
      const cases: [object | undefined, string][] = [
        [{}, '(body)'],
        [undefined, '(body)'],
        [{ title: null }, 'title'],
        [{ author: null }, 'author'],
        [{ isbn: null }, 'isbn'],
        [{ publishedYear: null }, 'publishedYear'],
        [{ title: '   ' }, 'title'],
        [{ color: 'red' }, 'color'],
        [{ version: 5 }, 'version'],
        [{ id: MISSING_ID }, 'id'],
        [{ createdAt: '2000-01-01T00:00:00Z' }, 'createdAt'],
        [{ updatedAt: '2000-01-01T00:00:00Z' }, 'updatedAt'],
      ];
      for (const [body, field] of cases) {
        const req = api().patch(`/books/${created.id}`).set('If-Match', '"1"');
        const res = body === undefined ? await req : await req.send(body);
        expectProblem(res, 400, { type: 'validation-error', fields: [field] });
      }
      await expect(bookRow(fixture.db.url, created.id)).resolves.toMatchObject({ title: 'Kept', version: 1 });
    });
  });

  describe('DELETE /books/:id', () => {
    it('204 and the row is gone; a second delete is 404', async () => {
      const created = await createBook();
      const res = await api().delete(`/books/${created.id}`).expect(204);
      expect(res.text ?? '').toBe('');
      await expect(bookRow(fixture.db.url, created.id)).resolves.toBeUndefined();
      expectProblem(await api().delete(`/books/${created.id}`), 404, { type: 'not-found' });
    });

    it('honours If-Match: 412 when stale (row kept), 204 when current or *', async () => {
      const created = await createBook();
      await api().patch(`/books/${created.id}`).set('If-Match', '"1"').send({ title: 'v2' }).expect(200);
      for (const tag of ['"1"', 'garbage']) {
        expectProblem(await api().delete(`/books/${created.id}`).set('If-Match', tag), 412, {
          type: 'precondition-failed',
        });
      }
      await expect(bookRow(fixture.db.url, created.id)).resolves.toMatchObject({ version: 2 });
      await api().delete(`/books/${created.id}`).set('If-Match', '"2"').expect(204);
      await expect(bookRow(fixture.db.url, created.id)).resolves.toBeUndefined();

      const other = await createBook();
      await api().delete(`/books/${other.id}`).set('If-Match', '*').expect(204);
      await expect(bookRow(fixture.db.url, other.id)).resolves.toBeUndefined();
      expectProblem(await api().delete(`/books/${other.id}`).set('If-Match', '*'), 404, { type: 'not-found' });
    });

    it('400 for a non-UUID id', async () => {
      expectProblem(await api().delete('/books/1'), 400, { type: 'validation-error', fields: ['id'] });
    });
  });

  describe('errors that are not the client’s', () => {
    it('500 carries no internals (no SQL, no stack, no column names)', async () => {
      const created = await createBook();
      // Break the schema under the running app so its SELECT fails inside PostgreSQL.
      await query(fixture.db.url, 'ALTER TABLE books RENAME COLUMN summary TO summary_moved');
      // The details go to the server log instead: capture it (and keep the test output clean).
      let logged = '';
      const stderr = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
        logged += chunk.toString();
        return true;
      });
      try {
        const res = await api().get(`/books/${created.id}`);
        stderr.mockRestore();
        expect(logged).toMatch(/summary/);
        expect(logged).toContain(String((res.body as { requestId: string }).requestId));
        expectProblem(res, 500, { type: 'internal-error' });
        expect(Object.keys(res.body as object).sort()).toEqual(
          ['detail', 'instance', 'requestId', 'status', 'title', 'type'].sort(),
        );
        expect(res.text).not.toMatch(/SELECT|FROM|summary|column|relation|QueryFailed|stack|at \w+ \(|\.ts:\d+/i);
      } finally {
        stderr.mockRestore();
        await query(fixture.db.url, 'ALTER TABLE books RENAME COLUMN summary_moved TO summary');
      }
      await api().get(`/books/${created.id}`).expect(200);
    });

    it('an unknown route is a problem+json 404', async () => {
      expectProblem(await api().get('/no-such-route'), 404, { type: 'not-found' });
    });
  });

  describe('413: a body over BODY_LIMIT_BYTES', () => {
    const small = useBooksApp(fixture, { BODY_LIMIT_BYTES: '1024' });

    it('is refused with 413 and stores nothing; a body under the limit is fine', async () => {
      const before = await countBooks(fixture.db.url);
      const big = await request(small.baseUrl)
        .post('/books')
        .send(bookInput({ summary: 'x'.repeat(2000) }));
      expectProblem(big, 413, { type: 'payload-too-large', detail: /1024 bytes/ });
      expect((big.body as { title: string }).title).toBe('Content Too Large');
      const batch = await request(small.baseUrl)
        .post('/books/batch')
        .send({ books: Array.from({ length: 10 }, () => bookInput()) });
      expectProblem(batch, 413);
      const created = await request(small.baseUrl)
        .patch(`/books/${MISSING_ID}`)
        .set('If-Match', '"1"')
        .send({
          summary: 'y'.repeat(2000),
        });
      expectProblem(created, 413);
      await expect(countBooks(fixture.db.url)).resolves.toBe(before);
      await request(small.baseUrl).post('/books').send(bookInput()).expect(201);
      await expect(countBooks(fixture.db.url)).resolves.toBe(before + 1);
    });
  });
});
