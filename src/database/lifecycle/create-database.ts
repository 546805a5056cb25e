import { Client } from 'pg';
import { AppRole, ensureAppRole, givePublicSchema, handOverDatabase, reassignToOwner } from './app-role';
import { assertValidDatabaseName, quoteIdentifier } from './database-name';
import { databaseNameOf, withDatabase } from '../../lib/url';
import { DatabaseStartupError } from '../database.exception';
import { constraintOf, errorCode, SqlState } from '../../lib/postgres-error';

export interface CreateDatabaseOptions {
  connectTimeoutMs: number;
  /** Longest wait for another instance's creation lock. */
  lockTimeoutMs: number;
  applicationName: string;
  /** Made if missing; owns the database (and its public schema) when this call creates it. */
  owner?: AppRole;
  /**
   * With two roles, the serving role: made if missing. A database it owns (made by the single-role
   * setup) passes with everything in it to `owner`.
   */
  serving?: AppRole;
  /** Also hand an existing database owned by another role to `owner` (a cluster the service owns). */
  adoptExisting?: boolean;
  /** Set the roles' passwords even when they exist (the embedded cluster keeps one file per role). */
  resetPasswords?: boolean;
}

export type CreateDatabaseResult = 'created' | 'exists';

/** Namespace of this service's advisory locks on the maintenance database. */
const CREATE_DATABASE_LOCK_CLASS = 0x626b; // "bk"

/**
 * Creates `name` on the server behind `adminUrl` unless it exists.
 *
 * Safe when several instances start at once: creators serialise on an advisory lock keyed
 * by the name, existence is checked with a bound parameter, the identifier is quoted, and
 * a concurrent creator's 42P04 / 23505 (pg_database_datname_index) count as "exists".
 * The admin connection is closed on every path.
 */
export async function createDatabaseIfMissing(
  adminUrl: URL,
  name: string,
  options: CreateDatabaseOptions,
): Promise<CreateDatabaseResult> {
  assertValidDatabaseName(name);
  const client = adminClient(adminUrl, options);
  try {
    await client.connect();
    await client.query(`SET lock_timeout = ${Math.max(0, Math.floor(options.lockTimeoutMs))}`);
    await client.query('SELECT pg_advisory_lock($1, hashtext($2))', [CREATE_DATABASE_LOCK_CLASS, name]);
    // The admin URL's own role is neither created nor handed anything: it may be the owner itself.
    const adminUser = decodeURIComponent(adminUrl.username);
    const other = (role?: AppRole) => (role?.name && role.name !== adminUser ? role : undefined);
    const owner = other(options.owner);
    for (const role of [owner, other(options.serving)]) {
      if (role) await ensureAppRole(client, role, options.resetPasswords);
    }
    const existing = await client.query<{ owner: string }>(
      'SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = $1',
      [name],
    );
    if (existing.rowCount) {
      const current = existing.rows[0].owner;
      const { serving, adoptExisting } = options;
      const target = options.owner;
      if (target && serving && current === serving.name && serving.name !== target.name) {
        await onDatabase(withDatabase(adminUrl, name), options, (admin) => reassignToOwner(admin, serving, target));
      } else if (owner && adoptExisting && current !== owner.name) {
        await onDatabase(withDatabase(adminUrl, name), options, (admin) => handOverDatabase(admin, name, owner));
      }
      return 'exists';
    }
    try {
      // CREATE DATABASE takes no bind parameters: the name is validated and quoted instead.
      const ownerClause = owner ? ` OWNER ${quoteIdentifier(owner.name)}` : '';
      await client.query(`CREATE DATABASE ${quoteIdentifier(name)}${ownerClause}`);
    } catch (error) {
      if (isConcurrentCreate(error)) return 'exists';
      throw error;
    }
    if (owner) await onDatabase(withDatabase(adminUrl, name), options, (admin) => givePublicSchema(admin, owner));
    return 'created';
  } catch (error) {
    throw explainAdminError(error, adminUrl, name);
  } finally {
    // Closing the session also releases the advisory lock.
    await client.end().catch(() => undefined);
  }
}

function adminClient(url: URL, options: CreateDatabaseOptions): Client {
  const client = new Client({
    connectionString: url.toString(),
    connectionTimeoutMillis: options.connectTimeoutMs,
    application_name: `${options.applicationName}:create-database`,
  });
  // A dropped connection also rejects the pending query; without a listener it would crash the process.
  client.on('error', () => undefined);
  return client;
}

/** Runs `work` on one admin connection to another database, closed afterwards. */
async function onDatabase(
  url: URL,
  options: CreateDatabaseOptions,
  work: (client: Client) => Promise<void>,
): Promise<void> {
  const client = adminClient(url, options);
  try {
    await client.connect();
    await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Drops a database (tests and tooling only); terminates its sessions first. */
export async function dropDatabaseIfExists(adminUrl: URL, name: string, applicationName = 'bookapi'): Promise<void> {
  assertValidDatabaseName(name);
  const client = new Client({
    connectionString: adminUrl.toString(),
    application_name: `${applicationName}:drop-database`,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(name)} WITH (FORCE)`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

function isConcurrentCreate(error: unknown): boolean {
  const code = errorCode(error);
  return (
    code === SqlState.duplicateDatabase ||
    (code === SqlState.uniqueViolation && constraintOf(error) === 'pg_database_datname_index')
  );
}

/** Turns the admin errors an operator can fix into one line that says how; others pass through. */
export function explainAdminError(error: unknown, adminUrl: URL, name: string): unknown {
  if (error instanceof DatabaseStartupError) return error;
  const user = decodeURIComponent(adminUrl.username) || '(default user)';
  const where = `${adminUrl.hostname}:${adminUrl.port || 5432}`;
  switch (errorCode(error)) {
    case SqlState.insufficientPrivilege:
      return new DatabaseStartupError(
        `Role "${user}" may not create database "${name}" on ${where} (42501): grant it CREATEDB, create the database beforehand, or set DATABASE_ADMIN_URL to a role that can`,
        { cause: error },
      );
    case SqlState.invalidPassword:
      return new DatabaseStartupError(
        `Password authentication failed for user "${user}" on ${where} (28P01): check the password in DATABASE_ADMIN_URL / DATABASE_URL`,
        { cause: error },
      );
    case SqlState.invalidAuthorization:
      return new DatabaseStartupError(
        `The server at ${where} refused user "${user}" (28000): check pg_hba.conf and the user in DATABASE_ADMIN_URL / DATABASE_URL`,
        { cause: error },
      );
    case SqlState.invalidCatalogName:
      return new DatabaseStartupError(
        `Maintenance database "${databaseNameOf(adminUrl)}" does not exist on ${where} (3D000): set DATABASE_ADMIN_URL to an existing database`,
        { cause: error },
      );
    default:
      return error;
  }
}
