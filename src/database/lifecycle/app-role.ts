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

/** The role a URL logs in as, with its password. */
export function roleOf(url: URL): AppRole {
  return { name: decodeURIComponent(url.username), password: decodeURIComponent(url.password) };
}

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
 * A LOGIN role without SUPERUSER, CREATEDB or CREATEROLE, made when missing; `resetPassword` also
 * sets the password of an existing one. CREATE ROLE takes no bind parameters: the name is quoted
 * and the password escaped as a literal.
 */
export async function ensureAppRole(
  admin: Client,
  role: AppRole,
  resetPassword = false,
): Promise<'created' | 'exists'> {
  assertValidDatabaseName(role.name);
  const existing = await admin.query<{ rolsuper: boolean }>('SELECT rolsuper FROM pg_roles WHERE rolname = $1', [
    role.name,
  ]);
  const password = role.password ? `PASSWORD ${admin.escapeLiteral(role.password)}` : '';
  if (existing.rowCount) {
    if (resetPassword && password) await admin.query(`ALTER ROLE ${quoteIdentifier(role.name)} ${password}`);
    return 'exists';
  }
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

/**
 * Upgrades a database made by the single-role setup (the serving role owns it and everything in it):
 * everything the serving role owns passes to the owner role, which the serving role then gets row
 * privileges from. Run on that database as admin. REASSIGN OWNED also moves any other database the
 * serving role owns, and its extensions, which no ALTER ... OWNER reaches.
 */
export async function reassignToOwner(adminOnDatabase: Client, serving: AppRole, owner: AppRole): Promise<void> {
  const role = quoteIdentifier(serving.name);
  try {
    // One transaction with the row grants: instances still serving as that role never lose their tables.
    await adminOnDatabase.query('BEGIN');
    await adminOnDatabase.query(`REASSIGN OWNED BY ${role} TO ${quoteIdentifier(owner.name)}`);
    await adminOnDatabase.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${role}`);
    await adminOnDatabase.query(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${role}`);
    await adminOnDatabase.query('COMMIT');
  } catch (error) {
    await adminOnDatabase.query('ROLLBACK').catch(() => undefined);
    if (errorCode(error) !== SqlState.insufficientPrivilege) throw error;
    throw new DatabaseStartupError(
      `Cannot hand the objects of serving role "${serving.name}" to owner role "${owner.name}" (42501): ` +
        'run this upgrade once with DATABASE_ADMIN_URL set to a superuser (docs/security.md, "Database roles")',
      { cause: error },
    );
  }
}

type Queryable = { query<T>(sql: string): Promise<T> };

interface RoleFacts {
  rolname: string;
  rolsuper: boolean;
  rolcreatedb: boolean;
  rolcreaterole: boolean;
  owns_database: boolean;
  database: string;
  owns_schema: boolean;
  creates_in_schema: boolean;
  creates_in_database: boolean;
  owned_tables: number;
}

/**
 * A superuser in DATABASE_URL works, but every bug then runs with every right: say so once. Where
 * `unneeded` asks for it (production), also name in one warning any right beyond reading and
 * writing rows, such as the single-role setup's ownership of the database and its tables.
 */
export async function warnAboutRole(
  dataSource: Queryable,
  logger: { warn(message: string): void },
  unneeded: boolean,
): Promise<void> {
  const [row] = await dataSource.query<RoleFacts[]>(
    `SELECT r.rolname, r.rolsuper, r.rolcreatedb, r.rolcreaterole, d.datname AS database,
            d.datdba = r.oid AS owns_database,
            n.nspowner = r.oid AS owns_schema,
            has_schema_privilege(n.oid, 'CREATE') AS creates_in_schema,
            has_database_privilege(d.oid, 'CREATE') AS creates_in_database,
            (SELECT count(*)::int FROM pg_class c
              WHERE c.relnamespace = n.oid AND c.relowner = r.oid AND c.relkind IN ('r', 'p')) AS owned_tables
       FROM pg_roles r, pg_database d, pg_namespace n
      WHERE r.rolname = current_user AND d.datname = current_database() AND n.nspname = 'public'`,
  );
  if (!row) return;
  if (row.rolsuper) {
    logger.warn(
      `DATABASE_URL connects as superuser "${row.rolname}"; give the service a role without SUPERUSER and keep the superuser in DATABASE_ADMIN_URL`,
    );
    return;
  }
  if (!unneeded) return;
  const extra = [
    row.owns_database && `owns database "${row.database}" (may drop it)`,
    !row.owns_database && row.creates_in_database && `CREATE on database "${row.database}"`,
    row.owns_schema && 'owns schema public',
    !row.owns_schema && row.creates_in_schema && 'CREATE on schema public',
    row.owned_tables > 0 && `owns ${row.owned_tables} table(s) (may DROP, TRUNCATE and ALTER them)`,
    row.rolcreatedb && 'CREATEDB',
    row.rolcreaterole && 'CREATEROLE',
  ].filter(Boolean);
  if (extra.length === 0) return;
  logger.warn(
    `DATABASE_URL's role "${row.rolname}" has privileges the service does not need: ${extra.join(', ')}. ` +
      'Give the schema to an owner role in DATABASE_MIGRATION_URL and run npm run db:prepare once (docs/security.md, "Database roles")',
  );
}
