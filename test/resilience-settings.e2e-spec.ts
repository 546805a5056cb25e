import { Client } from 'pg';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { DatabaseUnavailableError } from '../src/lib/database-unavailable.exception';
import { TransactionRunner } from '../src/database/runtime/transaction-runner';
import { poolOf } from '../src/lib/internals/typeorm';
import { startTestApp, TestApp } from './helpers/test-app';
import { createTestDatabase, query, TestDatabase } from './helpers/test-database';

const APP_NAME = 'bookapi-settings-test';

/**
 * DB_CONNECT_TIMEOUT_MS, DB_STATEMENT_TIMEOUT_MS and DB_IDLE_IN_TRANSACTION_TIMEOUT_MS reach
 * the pool and every session it opens, and PostgreSQL enforcing them ends in a 503, not a 500.
 */
describe('resilience: connection settings', () => {
  let db: TestDatabase;
  let app: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase('settings');
    app = await startTestApp(db, {
      DB_CONNECT_TIMEOUT_MS: '3456',
      DB_STATEMENT_TIMEOUT_MS: '1200',
      DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: '1000',
      DB_APPLICATION_NAME: APP_NAME,
    });
  });

  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  it('sets the timeouts on the pool and as session settings of its connections', async () => {
    const dataSource = app.app.get(DataSource);
    const rows = await dataSource.query<{ statement: string; idle: string; app: string }[]>(
      `SELECT current_setting('statement_timeout') AS statement,
              current_setting('idle_in_transaction_session_timeout') AS idle,
              current_setting('application_name') AS app`,
    );
    expect(rows).toEqual([{ statement: '1200ms', idle: '1s', app: APP_NAME }]);
    const pool = poolOf(dataSource) as unknown as { options: Record<string, unknown> };
    expect(pool.options).toMatchObject({ connectionTimeoutMillis: 3456, statement_timeout: 1200 });
  });

  it('answers 503 problem+json when statement_timeout cancels a request, and rolls it back', async () => {
    const holder = new Client({ connectionString: db.url.toString() });
    await holder.connect();
    const isbn = '9780262033848';
    try {
      // The INSERT waits for this lock longer than statement_timeout allows.
      await holder.query('BEGIN; LOCK TABLE books IN SHARE MODE');
      const res = await request(app.baseUrl)
        .post('/books')
        .send({ title: 'Slow', author: 'Timeout', isbn, publishedYear: 2009 })
        .timeout(10_000);
      expect(res.status).toBe(503);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.headers['retry-after']).toMatch(/^\d+$/);
      expect(res.body).toMatchObject({ status: 503, detail: expect.stringMatching(/did not answer in time/) });
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
    await expect(query(db.url, 'SELECT 1 FROM books WHERE isbn = $1', [isbn])).resolves.toEqual([]);
  });

  it('ends a transaction left idle past idle_in_transaction_session_timeout as DatabaseUnavailableError', async () => {
    const transactions = app.app.get(TransactionRunner);
    const outcome = transactions.run(async (manager) => {
      await manager.query('SELECT 1');
      // The server closes the session after 1 s idle in the transaction; the next query cannot run.
      await new Promise((resolve) => setTimeout(resolve, 1800));
      await manager.query('SELECT 1');
    });
    await expect(outcome).rejects.toBeInstanceOf(DatabaseUnavailableError);
    await request(app.baseUrl).get('/books').expect(200);
    await expect(
      query(db.url, "SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND state = 'idle in transaction'", [
        APP_NAME,
      ]),
    ).resolves.toEqual([]);
  });
});
