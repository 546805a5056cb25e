import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Answers every catalogue probe with "yes" (`installed`, `valid`, ...): the DDL of the main path is what gets linted. */
const YES_ROW = new Proxy({}, { get: () => true });

/**
 * The SQL a migration's up() sends, recorded by running it against a QueryRunner that only
 * writes things down (no database). Catalogue reads (SELECT) are answered and left out; a
 * migration TypeORM runs in a transaction (`transaction` not false, mode `each`) is wrapped in
 * BEGIN … COMMIT, so the linter knows what may and may not run there.
 */
export async function recordMigrationSql(migration: MigrationInterface): Promise<string> {
  const inTransaction = migration.transaction !== false;
  const statements: string[] = [];
  const recorder = {
    isTransactionActive: inTransaction,
    query: (sql: string) => {
      const text = sql.trim();
      if (/^select\b/i.test(text)) return Promise.resolve([YES_ROW]);
      statements.push(text.endsWith(';') ? text : `${text};`);
      return Promise.resolve([]);
    },
  };
  await migration.up(recorder as unknown as QueryRunner);
  return [...(inTransaction ? ['BEGIN;'] : []), ...statements, ...(inTransaction ? ['COMMIT;'] : []), ''].join('\n');
}

/** The first statement that is not a SET must come after `SET [LOCAL] lock_timeout`. */
export function setsLockTimeoutFirst(sql: string): boolean {
  for (const statement of sql.split(/;\s*\n/)) {
    const text = statement.trim();
    if (/^set\s+(local\s+)?lock_timeout\b/i.test(text)) return true;
    if (text && !/^(begin|set)\b/i.test(text)) return false;
  }
  return true;
}

/**
 * UPDATE or DELETE statements over a whole table: one statement holds every row lock it takes
 * until it ends, so a backfill of a big table blocks writers of those rows for its whole run.
 * backfillInBatches (a `WITH batch ...` statement per batch) is the way.
 */
export function unbatchedWrites(sql: string): string[] {
  return sql
    .split(/;\s*\n/)
    .map((statement) => statement.trim())
    .filter((statement) => /^(update|delete)\b/i.test(statement));
}
