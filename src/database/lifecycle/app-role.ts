import type { Client } from 'pg';
import { assertValidDatabaseName, quoteIdentifier } from './database-name';
import { DatabaseStartupError } from '../database.exception';
import { errorCode, SqlState } from '../../lib/postgres-error';

/** The role the service's own connections use, when it is not the admin URL's role. */
export interface AppRole {
  name: string;
  password: string;
}

const DUPLICATE_OBJECT = '42710';

/**
 * The application role of a target URL: its user, when that differs from the admin URL's.
 * Then create-database makes the role (if missing) and gives it the database it creates, so
 * the service runs without superuser rights and the admin URL is used for nothing else.
 */
export function appRoleOf(url: URL, adminUrl: URL): AppRole | undefined {
  const name = decodeURIComponent(url.username);
  if (!name || name === decodeURIComponent(adminUrl.username)) return undefined;
  return { name, password: decodeURIComponent(url.password) };
}

/**
 * A LOGIN role without SUPERUSER, CREATEDB or CREATEROLE, made when missing. CREATE ROLE takes
 * no bind parameters: the name is quoted and the password escaped as a literal.
 */
export async function ensureAppRole(admin: Client, role: AppRole): Promise<'created' | 'exists'> {
  assertValidDatabaseName(role.name);
  const existing = await admin.query<{ rolsuper: boolean }>('SELECT rolsuper FROM pg_roles WHERE rolname = $1', [
    role.name,
  ]);
  if (existing.rowCount) return 'exists';
  const password = role.password ? `PASSWORD ${admin.escapeLiteral(role.password)}` : '';
  try {
    await admin.query(
      `CREATE ROLE ${quoteIdentifier(role.name)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION ${password}`,
    );
    return 'created';
  } catch (error) {
    // Another instance made it first.
    if (errorCode(error) === DUPLICATE_OBJECT) return 'exists';
    if (errorCode(error) === SqlState.insufficientPrivilege) {
      throw new DatabaseStartupError(
        `The admin role may not create role "${role.name}" (42501): create it beforehand, or give DATABASE_ADMIN_URL a role with CREATEROLE`,
        { cause: error },
      );
    }
    throw error;
  }
}

/** Gives a just-created database's public schema to the role (run on that database as admin). */
export async function givePublicSchema(adminOnDatabase: Client, role: AppRole): Promise<void> {
  await adminOnDatabase.query(`ALTER SCHEMA public OWNER TO ${quoteIdentifier(role.name)}`);
}

/**
 * Hands a database made before the role existed (an embedded cluster from an earlier version)
 * to the role: the database, its public schema and every relation in it. Run on that database
 * as admin; only for a cluster the service owns.
 */
export async function handOverDatabase(adminOnDatabase: Client, database: string, role: AppRole): Promise<void> {
  const owner = quoteIdentifier(role.name);
  await adminOnDatabase.query(`ALTER DATABASE ${quoteIdentifier(database)} OWNER TO ${owner}`);
  await givePublicSchema(adminOnDatabase, role);
  const { rows } = await adminOnDatabase.query<{ name: string }>(
    `SELECT format('%I.%I', n.nspname, c.relname) AS name FROM pg_class c
     JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
       AND c.relowner <> (SELECT oid FROM pg_roles WHERE rolname = $1)
       AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')`,
    [role.name],
  );
  // Sequences owned by a column follow their table; ALTER TABLE accepts every relation kind here.
  for (const { name } of rows) await adminOnDatabase.query(`ALTER TABLE ${name} OWNER TO ${owner}`);
}

/** A superuser in DATABASE_URL works, but every bug then runs with every right: say so once. */
export async function warnIfSuperuser(
  dataSource: { query<T>(sql: string): Promise<T> },
  logger: { warn(message: string): void },
): Promise<void> {
  const [row] = await dataSource.query<{ rolname: string; rolsuper: boolean }[]>(
    'SELECT rolname, rolsuper FROM pg_roles WHERE rolname = current_user',
  );
  if (row?.rolsuper) {
    logger.warn(
      `DATABASE_URL connects as superuser "${row.rolname}"; give the service a role without SUPERUSER and keep the superuser in DATABASE_ADMIN_URL`,
    );
  }
}
