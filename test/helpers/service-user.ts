import * as fs from 'node:fs';
import * as path from 'node:path';
import { chownToRunAs, runAsPostgresUser } from '../../src/database/embedded/run-as-postgres';

/**
 * The unprivileged account the tests' daemons (pgbouncer, redis-server, haproxy) run as when we
 * are root, as PostgreSQL does: PgBouncer refuses root. Undefined when not root.
 */
export function serviceUser(): { uid: number; gid: number } | undefined {
  const runAs = runAsPostgresUser();
  return runAs.uid === undefined ? undefined : { uid: runAs.uid, gid: runAs.gid! };
}

/** Hands `dir` and the files in it to that account. */
export function handOver(dir: string): void {
  const runAs = runAsPostgresUser();
  chownToRunAs(dir, runAs);
  for (const entry of fs.readdirSync(dir)) chownToRunAs(path.join(dir, entry), runAs);
}
