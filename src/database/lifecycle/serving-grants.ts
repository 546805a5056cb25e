import { quoteIdentifier } from './database-name';

type Queryable = { query(sql: string, parameters?: unknown[]): Promise<unknown> };

const ROW_PRIVILEGES = 'SELECT, INSERT, UPDATE, DELETE';

/** The schema step's own bookkeeping: the serving role neither reads nor writes it. */
const OWNER_ONLY_TABLES = ['migrations', 'typeorm_metadata'];

/**
 * Tables only their triggers write, through SECURITY DEFINER functions: the serving role reads them,
 * so it cannot make them disagree with the table they derive from. Revoked only once the function
 * runs as its owner (its migration ran); before that the serving role's writes would be refused.
 */
const TRIGGER_KEPT_TABLES = [{ table: 'book_words', writer: 'book_words_sync' }];

/**
 * Before the schema step, as the owner role: nobody else creates in `public`, and every table and
 * sequence the owner creates from now on (each later migration) is the serving role's to read and
 * write, with no GRANT in the migration. Idempotent; runs under the schema lock, since concurrent
 * GRANTs on one object fail ("tuple concurrently updated").
 */
export async function prepareServingRole(owner: Queryable, database: string, serving: string): Promise<void> {
  const role = quoteIdentifier(serving);
  await owner.query('REVOKE CREATE ON SCHEMA public FROM PUBLIC');
  await owner.query(`GRANT CONNECT ON DATABASE ${quoteIdentifier(database)} TO ${role}`);
  await owner.query(`GRANT USAGE ON SCHEMA public TO ${role}`);
  await owner.query(`ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ${ROW_PRIVILEGES} ON TABLES TO ${role}`);
  await owner.query(`ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO ${role}`);
}

/**
 * After the schema step, as the owner role: row privileges on what exists already (a database the
 * single-role setup made, or tables a superuser created), minus the owner-only and trigger-kept
 * tables' writes.
 */
export async function grantServingRole(owner: Queryable, serving: string): Promise<void> {
  const role = quoteIdentifier(serving);
  await owner.query(`GRANT ${ROW_PRIVILEGES} ON ALL TABLES IN SCHEMA public TO ${role}`);
  await owner.query(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${role}`);
  for (const table of OWNER_ONLY_TABLES) {
    if (await tableExists(owner, table))
      await owner.query(`REVOKE ALL ON TABLE ${quoteIdentifier(table)} FROM ${role}`);
  }
  for (const { table, writer } of TRIGGER_KEPT_TABLES) {
    if ((await tableExists(owner, table)) && (await runsAsOwner(owner, writer))) {
      await owner.query(`REVOKE INSERT, UPDATE, DELETE ON TABLE ${quoteIdentifier(table)} FROM ${role}`);
    }
  }
}

async function tableExists(owner: Queryable, table: string): Promise<boolean> {
  const rows = (await owner.query(`SELECT to_regclass(format('public.%I', $1::text)) IS NOT NULL AS found`, [
    table,
  ])) as { found: boolean }[];
  return rows[0]?.found === true;
}

async function runsAsOwner(owner: Queryable, fn: string): Promise<boolean> {
  const rows = (await owner.query(
    `SELECT bool_and(prosecdef) AS definer FROM pg_proc WHERE proname = $1 AND pronamespace = 'public'::regnamespace`,
    [fn],
  )) as { definer: boolean | null }[];
  return rows[0]?.definer === true;
}
