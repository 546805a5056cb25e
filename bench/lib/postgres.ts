import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { createDatabaseIfMissing, dropDatabaseIfExists } from '../../src/database/lifecycle/create-database';
import { databaseNameOf, redactUrl, withDatabase } from '../../src/lib/url';
import { readPostmasterPid } from '../../src/database/embedded/postmaster-pid';
import { EmbeddedPostgresServer } from '../../src/database/embedded/embedded-postgres.server';
import { freePort } from './net';

export interface BenchPostgres {
  /** Superuser URL of the maintenance database. */
  adminUrl: URL;
  /** Name of the database the service and the baseline share. */
  database: string;
  /** Human-readable description for the report (password redacted). */
  label: string;
  /** The postmaster pid when the server is ours (its CPU is then measured too). */
  postmasterPid?: number;
  urlOf(database: string): URL;
  stop(): Promise<void>;
}

const APPLICATION_NAME = 'bookapi-bench';

/**
 * The embedded PostgreSQL in a temporary folder on a free port, or, with DATABASE_URL,
 * that server. The bench seeds and deletes rows, so it refuses a database whose name
 * does not say "bench".
 */
export async function startPostgres(
  databaseUrl: string | undefined,
  log: (line: string) => void,
): Promise<BenchPostgres> {
  if (databaseUrl) {
    const url = new URL(databaseUrl);
    const database = databaseNameOf(url);
    if (!/bench/i.test(database)) {
      throw new Error(`Refusing to benchmark database "${database}": its name must contain "bench"`);
    }
    return {
      adminUrl: withDatabase(url, 'postgres'),
      database,
      label: `DATABASE_URL server ${redactUrl(url)}`,
      urlOf: (name) => withDatabase(url, name),
      stop: () => Promise.resolve(),
    };
  }
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bookapi-bench-pg-'));
  // PostgreSQL runs as the postgres user when we are root: it must reach the folder.
  fs.chmodSync(root, 0o755);
  const dataDir = path.join(root, 'cluster');
  const quiet = { debug: () => undefined, log, warn: log };
  const server = new EmbeddedPostgresServer({ dataDir, port: await freePort(), database: 'bookapi_bench' }, quiet);
  await server.start();
  const adminUrl = server.url('postgres');
  const version = await scalar<string>(adminUrl, 'SHOW server_version');
  return {
    adminUrl,
    database: 'bookapi_bench',
    label: `embedded PostgreSQL ${version} (temporary cluster, default settings)`,
    postmasterPid: readPostmasterPid(dataDir),
    urlOf: (name) => server.url(name),
    stop: async () => {
      await server.stop();
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

export function createDatabase(pg: BenchPostgres, name: string): Promise<unknown> {
  return createDatabaseIfMissing(pg.adminUrl, name, {
    connectTimeoutMs: 5000,
    lockTimeoutMs: 10_000,
    applicationName: APPLICATION_NAME,
  });
}

export function dropDatabase(pg: BenchPostgres, name: string): Promise<void> {
  return dropDatabaseIfExists(pg.adminUrl, name, APPLICATION_NAME);
}

/** One short-lived connection for harness bookkeeping. */
export async function withClient<T>(url: URL, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url.toString(), application_name: APPLICATION_NAME });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function scalar<T>(url: URL, sql: string, params: unknown[] = []): Promise<T> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<Record<string, T>>(sql, params);
    return Object.values(rows[0])[0];
  });
}

/** Fresh statistics and no dead rows, so every round starts from the same table. */
export function vacuumBooks(url: URL): Promise<unknown> {
  return withClient(url, (client) => client.query('VACUUM (ANALYZE) books'));
}
