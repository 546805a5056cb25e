import request from 'supertest';
import { startTestApp, TestApp } from './test-app';
import { createTestDatabase, TestDatabase } from './test-database';

/** A throwaway database for a describe block: created in beforeAll, dropped in afterAll. */
export interface TestDatabaseFixture {
  readonly db: TestDatabase;
}

/** The in-process app on its own database, for a describe block. */
export interface BooksAppFixture extends TestDatabaseFixture {
  readonly app: TestApp;
  readonly baseUrl: string;
  /** supertest against the running app. */
  api(): ReturnType<typeof request>;
}

export function useTestDatabase(label: string): TestDatabaseFixture {
  let db: TestDatabase | undefined;
  beforeAll(async () => {
    db = await createTestDatabase(label);
  });
  afterAll(async () => {
    await db?.drop();
  });
  return {
    get db() {
      return started(db, 'database');
    },
  };
}

/**
 * The one fixture of the in-process suites: a database of their own (or the given one) and the
 * real AppModule on it (startTestApp), closed and dropped afterwards, in that order. `env` may be
 * a function, read once the earlier beforeAll hooks ran (e.g. an identity provider's port).
 */
export function useBooksApp(
  database: string | TestDatabaseFixture,
  env: Record<string, string> | (() => Record<string, string>) = {},
): BooksAppFixture {
  let db: TestDatabase | undefined;
  let app: TestApp | undefined;
  beforeAll(async () => {
    db = typeof database === 'string' ? await createTestDatabase(database) : database.db;
    app = await startTestApp(db, typeof env === 'function' ? env() : env);
  });
  afterAll(async () => {
    await app?.close();
    if (typeof database === 'string') await db?.drop();
  });
  const fixture: BooksAppFixture = {
    get db() {
      return started(db, 'database');
    },
    get app() {
      return started(app, 'app');
    },
    get baseUrl() {
      return fixture.app.baseUrl;
    },
    api: () => request(fixture.baseUrl),
  };
  return fixture;
}

function started<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`the test ${what} is not started: use it inside a test or a later hook`);
  return value;
}
