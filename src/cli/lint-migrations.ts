/**
 * `npm run lint:migrations`: the CI gate against schema changes that block traffic. Each
 * migration's up() runs against a recording QueryRunner (no database); its SQL goes to
 * test-output/migrations/<name>.sql and is linted by squawk (the squawk-cli npm package, whose
 * binary comes in its @squawk-cli/<platform> dependency: nothing is downloaded at run time),
 * plus two rules of ours: lock_timeout is set before anything else, and rows are changed in
 * batches (no table-wide UPDATE or DELETE). Exit 1 on any finding.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { MigrationInterface } from 'typeorm';
import { MIGRATIONS } from '../database/runtime/data-source-options';
import { recordMigrationSql, setsLockTimeoutFirst, unbatchedWrites } from './migration-sql';

const ROOT = path.resolve(__dirname, '../..');
const SQUAWK = path.join(ROOT, 'node_modules/.bin/squawk');
const SQUAWK_CONFIG = path.join(ROOT, '.squawk.toml');

export interface MigrationFinding {
  migration: string;
  rule: string;
  message: string;
}

interface SquawkViolation {
  file: string;
  rule_name: string;
  message: string;
  help?: string;
}

export async function lintMigrations(migrations: MigrationInterface[], outDir: string): Promise<MigrationFinding[]> {
  if (!fs.existsSync(SQUAWK)) throw new Error(`${SQUAWK} is missing: run npm ci (squawk-cli is a devDependency)`);
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.mkdirSync(outDir, { recursive: true });
  const findings: MigrationFinding[] = [];
  const files: string[] = [];
  for (const migration of migrations) {
    const name = migration.name ?? migration.constructor.name;
    const sql = await recordMigrationSql(migration);
    if (!setsLockTimeoutFirst(sql)) {
      findings.push({
        migration: name,
        rule: 'set-lock-timeout-first',
        message: 'set lock_timeout before any other statement (wrap up() in withLockTimeout from safe-migration.ts)',
      });
    }
    for (const statement of unbatchedWrites(sql)) {
      findings.push({
        migration: name,
        rule: 'unbatched-backfill',
        message: `${statement.split('\n')[0]}: one statement locks every row it changes until it ends; use backfillInBatches`,
      });
    }
    const file = path.join(outDir, `${name}.sql`);
    fs.writeFileSync(file, sql);
    files.push(file);
  }
  const byFile = new Map(
    files.map((file, i) => [path.resolve(file), migrations[i].name ?? migrations[i].constructor.name]),
  );
  for (const violation of await runSquawk(files)) {
    findings.push({
      migration: byFile.get(path.resolve(violation.file)) ?? violation.file,
      rule: violation.rule_name,
      message: [violation.message, violation.help].filter(Boolean).join(' '),
    });
  }
  return findings;
}

async function runSquawk(files: string[]): Promise<SquawkViolation[]> {
  try {
    await promisify(execFile)(SQUAWK, ['--config', SQUAWK_CONFIG, '--reporter', 'json', ...files]);
    return [];
  } catch (error) {
    // squawk exits 1 when it finds something, and prints what it found on stdout.
    const stdout = (error as { stdout?: string }).stdout ?? '';
    try {
      return JSON.parse(stdout) as SquawkViolation[];
    } catch {
      throw new Error(`squawk failed: ${(error as Error).message}`);
    }
  }
}

async function main(): Promise<number> {
  const outDir = path.join(ROOT, 'test-output/migrations');
  const findings = await lintMigrations(
    MIGRATIONS.map((Migration) => new Migration()),
    outDir,
  );
  for (const f of findings) console.error(`${f.migration}: ${f.rule}: ${f.message}`);
  console.log(
    findings.length
      ? `${findings.length} unsafe operation(s) in migrations (SQL in ${path.relative(ROOT, outDir)}/)`
      : `${MIGRATIONS.length} migrations checked: none blocks traffic`,
  );
  return findings.length ? 1 : 0;
}

if (require.main === module) {
  main().then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      console.error(`lint:migrations failed: ${error instanceof Error ? error.message : String(error)}`);
      process.exitCode = 1;
    },
  );
}
