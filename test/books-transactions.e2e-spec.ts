import type request from 'supertest';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { type EntityManager, QueryRunnerAlreadyReleasedError } from 'typeorm';
import { TransactionRunner } from '../src/database/runtime/transaction-runner';
import { bookInput, bookRow, countBooks, uniqueIsbn13 } from './factories/book.factory';
import { expectProblem } from './helpers/expect-problem';
import { useBooksApp, useTestDatabase } from './helpers/books-app';
import { query } from './helpers/test-database';

interface BookBody {
  id: string;
  isbn: string;
  version: number;
  updatedAt: string;
}

describe('Books API: concurrency and transactions (real PostgreSQL)', () => {
  const database = useTestDatabase('books_tx');

  describe('optimistic concurrency', () => {
    const fixture = useBooksApp(database);
    const api = () => fixture.api();

    it('20 concurrent PATCHes with the same ETag: exactly one 200, nineteen 412, version up by exactly one', async () => {
      const created = (await api().post('/books').send(bookInput()).expect(201)).body as BookBody;
      const responses = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          api()
            .patch(`/books/${created.id}`)
            .set('If-Match', '"1"')
            .send({ title: `writer ${i}` }),
        ),
      );
      const statuses = responses.map((res) => res.status).sort();
      expect(statuses).toEqual([200, ...Array<number>(19).fill(412)]);
      const winner = responses.find((res) => res.status === 200)!;
      for (const loser of responses.filter((res) => res.status !== 200)) {
        expectProblem(loser, 412, { type: 'precondition-failed' });
      }
      expect(winner.headers.etag).toBe('"2"');
      const row = await bookRow(database.db.url, created.id);
      expect(row).toMatchObject({ version: 2, title: (winner.body as { title: string }).title });
      // The winner's answer is the row as committed.
      expect(new Date((winner.body as BookBody).updatedAt).getTime()).toBe(row!.updated_at.getTime());
    });

    it('20 concurrent DELETEs with the same ETag: exactly one 204, the others 404, and the row is gone', async () => {
      const created = (await api().post('/books').send(bookInput()).expect(201)).body as BookBody;
      const responses = await Promise.all(
        Array.from({ length: 20 }, () => api().delete(`/books/${created.id}`).set('If-Match', '"1"')),
      );
      expect(responses.map((res) => res.status).sort()).toEqual([204, ...Array<number>(19).fill(404)]);
      await expect(bookRow(database.db.url, created.id)).resolves.toBeUndefined();
    });

    it('a PATCH that follows the ETag chain always wins: 5 sequential writes end at version 6', async () => {
      const created = (await api().post('/books').send(bookInput()).expect(201)).body as BookBody;
      let etag = '"1"';
      for (let i = 0; i < 5; i++) {
        const res = await api()
          .patch(`/books/${created.id}`)
          .set('If-Match', etag)
          .send({ pageCount: i + 1 });
        expect(res.status).toBe(200);
        etag = res.headers.etag;
      }
      expect(etag).toBe('"6"');
      await expect(bookRow(database.db.url, created.id)).resolves.toMatchObject({ version: 6, page_count: 5 });
    });
  });

  describe('failed transactions never leak a connection', () => {
    const POOL = 4;
    const applicationName = `bookapi-books-tx-${randomBytes(4).toString('hex')}`;
    const fixture = useBooksApp(database, {
      DB_POOL_MAX: String(POOL),
      DB_APPLICATION_NAME: applicationName,
      // A leaked connection would make the next request wait for the pool; fail fast instead.
      DB_CONNECT_TIMEOUT_MS: '3000',
    });
    const api = () => fixture.api();

    /** The service's sessions on its database, by state. */
    async function sessionStates(): Promise<string[]> {
      const rows = await query<{ state: string | null }>(
        database.db.url,
        'SELECT state FROM pg_stat_activity WHERE application_name = $1 AND datname = $2',
        [applicationName, database.db.name],
      );
      return rows.map((row) => row.state ?? 'null');
    }

    it('the probe sees a session left idle in transaction (control)', async () => {
      const client = new Client({ connectionString: database.db.url.toString(), application_name: applicationName });
      await client.connect();
      try {
        await client.query('BEGIN');
        await client.query('SELECT 1');
        await expect(sessionStates()).resolves.toContain('idle in transaction');
        await client.query('ROLLBACK');
      } finally {
        await client.end();
      }
    });

    it(`after 3 x ${POOL} failing transactions of each kind, no session is idle in transaction and the next requests succeed`, async () => {
      const taken = (await api().post('/books').send(bookInput()).expect(201)).body as BookBody;
      const victim = (await api().post('/books').send(bookInput()).expect(201)).body as BookBody;
      // Each fails inside an open transaction: the INSERT fails, the UPDATE fails, or the
      // UPDATE matches nothing and the 412 is thrown after a second statement.
      const failures: [string, () => request.Test, number][] = [
        [
          'batch clashing with the table',
          () =>
            api()
              .post('/books/batch')
              .send({ books: [bookInput(), bookInput({ isbn: taken.isbn })] }),
          409,
        ],
        [
          'PATCH to a taken ISBN',
          () => api().patch(`/books/${victim.id}`).set('If-Match', '"1"').send({ isbn: taken.isbn }),
          409,
        ],
        [
          'PATCH with a stale ETag',
          () => api().patch(`/books/${victim.id}`).set('If-Match', '"7"').send({ title: 'x' }),
          412,
        ],
      ];
      for (const [label, send, status] of failures) {
        // Waves of POOL concurrent requests, 3 x POOL in all, so every pooled connection fails several times.
        for (let wave = 0; wave < 3; wave++) {
          const responses = await Promise.all(Array.from({ length: POOL }, () => send()));
          for (const res of responses) expect({ label, status: res.status }).toEqual({ label, status });
        }
      }
      const states = await sessionStates();
      expect(states.length).toBeGreaterThan(0);
      expect(states.length).toBeLessThanOrEqual(POOL);
      expect(states.filter((state) => state.startsWith('idle in transaction'))).toEqual([]);
      expect(states.every((state) => state === 'idle')).toBe(true);

      // Nothing was written by the failures.
      await expect(bookRow(database.db.url, victim.id)).resolves.toMatchObject({ isbn: victim.isbn, version: 1 });

      // Every pooled connection is usable right away: POOL concurrent writes succeed without waiting for the pool.
      const next = await Promise.all(Array.from({ length: POOL }, () => api().post('/books').send(bookInput())));
      expect(next.map((res) => res.status)).toEqual(Array<number>(POOL).fill(201));
      await api().patch(`/books/${victim.id}`).set('If-Match', '"1"').send({ title: 'after' }).expect(200);
      await expect(bookRow(database.db.url, victim.id)).resolves.toMatchObject({ title: 'after', version: 2 });
    });

    describe('TransactionRunner, driven by real SQLSTATEs raised inside PostgreSQL', () => {
      const raise = (manager: EntityManager, code: string) =>
        manager.query(`DO $$ BEGIN RAISE EXCEPTION 'raised by the test' USING ERRCODE = '${code}'; END $$`);
      const insertBook = (manager: EntityManager, isbn: string) =>
        manager.query('INSERT INTO books (title, author, isbn, published_year, version) VALUES ($1, $2, $3, $4, 1)', [
          'runner',
          'runner',
          isbn,
          2000,
        ]);

      it('retries the whole unit after 40001 and 40P01, rolling back each failed attempt', async () => {
        const runner = fixture.app.app.get(TransactionRunner);
        for (const code of ['40001', '40P01']) {
          const isbn = uniqueIsbn13();
          let attempts = 0;
          const result = await runner.run(async (manager) => {
            attempts++;
            await insertBook(manager, isbn);
            if (attempts < 3) await raise(manager, code);
            return 'done';
          });
          expect({ code, result, attempts }).toEqual({ code, result: 'done', attempts: 3 });
          // Only the last attempt's row survived.
          await expect(query(database.db.url, 'SELECT id FROM books WHERE isbn = $1', [isbn])).resolves.toHaveLength(1);
        }
      });

      it('gives up after a bounded number of attempts, leaving nothing behind', async () => {
        const runner = fixture.app.app.get(TransactionRunner);
        const before = await countBooks(database.db.url);
        let attempts = 0;
        const failed = runner.run(async (manager) => {
          attempts++;
          await insertBook(manager, uniqueIsbn13());
          await raise(manager, '40001');
        });
        await expect(failed).rejects.toMatchObject({ code: '40001' });
        expect(attempts).toBe(3);
        await expect(countBooks(database.db.url)).resolves.toBe(before);
      });

      it('does not retry other errors, and rolls back what the unit did before failing', async () => {
        const runner = fixture.app.app.get(TransactionRunner);
        const before = await countBooks(database.db.url);
        let attempts = 0;
        const failed = runner.run(async (manager) => {
          attempts++;
          await insertBook(manager, uniqueIsbn13());
          throw new Error('the unit gave up midway');
        });
        await expect(failed).rejects.toThrow('the unit gave up midway');
        expect(attempts).toBe(1);
        await expect(countBooks(database.db.url)).resolves.toBe(before);
        expect((await sessionStates()).filter((state) => state !== 'idle')).toEqual([]);
      });

      it("query() on a finished transaction's manager is refused, not run on a pooled connection", async () => {
        const runner = fixture.app.app.get(TransactionRunner);
        const isbn = uniqueIsbn13();
        const manager = await runner.run(async (inside) => {
          await expect(runner.query(inside, 'SELECT 1 AS one', [])).resolves.toEqual([{ one: 1 }]);
          return inside;
        });
        // Its client went back to the pool: a late statement there would commit on its own.
        await expect(
          runner.query(
            manager,
            'INSERT INTO books (title, author, isbn, published_year, version) VALUES ($1, $1, $2, 2000, 1)',
            ['late', isbn],
          ),
        ).rejects.toThrow(QueryRunnerAlreadyReleasedError);
        await expect(query(database.db.url, 'SELECT id FROM books WHERE isbn = $1', [isbn])).resolves.toEqual([]);
      });
    });
  });

  describe('a keyed write on the only pooled connection', () => {
    const fixture = useBooksApp(database, {
      DB_POOL_MAX: '1',
      // A read waiting for a second connection would get 503 after this, instead of its 412 or 404.
      DB_CONNECT_TIMEOUT_MS: '2000',
    });

    it("answers 412 or 404 for an If-Match naming no version, reading inside the key's transaction", async () => {
      const { id } = (await fixture.api().post('/books').send(bookInput()).expect(201)).body as BookBody;
      const keyed = (req: request.Test) =>
        req.set('Idempotency-Key', randomBytes(8).toString('hex')).set('If-Match', '"v1"');
      expectProblem(await keyed(fixture.api().patch(`/books/${id}`)).send({ title: 'never' }), 412);
      expectProblem(await keyed(fixture.api().delete(`/books/${id}`)), 412);
      expectProblem(await keyed(fixture.api().delete('/books/00000000-0000-4000-8000-000000000000')), 404);
      await expect(bookRow(database.db.url, id)).resolves.toMatchObject({ version: 1 });
    });

    it('answers 409 for a keyed batch that repeats an ISBN, checking the table inside its transaction', async () => {
      const [first, second] = [bookInput(), bookInput()];
      const before = await countBooks(database.db.url);
      const res = await fixture
        .api()
        .post('/books/batch')
        .set('Idempotency-Key', randomBytes(8).toString('hex'))
        .send({ books: [first, second, first] });
      expectProblem(res, 409, { detail: /books\[2\] repeats the ISBN/ });
      await expect(countBooks(database.db.url)).resolves.toBe(before);
    });
  });

  describe("a migration changes a returned column's type while the service serves", () => {
    const fixture = useBooksApp(database);
    const api = () => fixture.api();
    const alterTitle = (length: number) =>
      query(database.db.ownerUrl, `ALTER TABLE books ALTER COLUMN title TYPE varchar(${length})`);

    /** Ten of each at once (five keyed POSTs), so every pooled connection has prepared the statements. */
    async function readAndWrite(id: string): Promise<number[]> {
      const responses = await Promise.all([
        ...Array.from({ length: 10 }, () => api().get(`/books/${id}`)),
        ...Array.from({ length: 10 }, (_, i) =>
          api()
            .patch(`/books/${id}`)
            .set('If-Match', '*')
            .send({ title: `t${i}` }),
        ),
        ...Array.from({ length: 10 }, () => api().post('/books').send(bookInput())),
        // A keyed write runs the insert inside the key's own transaction (runShared).
        ...Array.from({ length: 5 }, () =>
          api().post('/books').set('Idempotency-Key', randomBytes(8).toString('hex')).send(bookInput()),
        ),
      ]);
      return responses.map((res) => res.status);
    }
    const served = [...Array<number>(20).fill(200), ...Array<number>(15).fill(201)];

    it('GET, PATCH and POST keep answering: statements prepared before it are prepared again', async () => {
      const created = (await api().post('/books').send(bookInput()).expect(201)).body as BookBody;
      expect(await readAndWrite(created.id)).toEqual(served);
      try {
        // Widening a varchar rewrites nothing, and changes the type each prepared statement returns.
        await alterTitle(400);
        expect(await readAndWrite(created.id)).toEqual(served);
      } finally {
        await alterTitle(300);
      }
      expect(await readAndWrite(created.id)).toEqual(served);
    });
  });
});
