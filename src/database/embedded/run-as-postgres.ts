import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { DatabaseStartupError } from '../database.exception';

/** The uid/gid to spawn PostgreSQL's programs with; empty when we are not root. */
export interface RunAs {
  uid?: number;
  gid?: number;
}

/**
 * PostgreSQL refuses to run as root: as root, run it as the `postgres` user, created when
 * missing. The service, the tests' clusters and the bench all ask here.
 */
export function runAsPostgresUser(): RunAs {
  if (process.getuid?.() !== 0) return {};
  const lookup = () => {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { stdio: 'pipe' }).toString());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { stdio: 'pipe' }).toString());
    return { uid, gid };
  };
  try {
    return lookup();
  } catch {
    try {
      execFileSync('useradd', ['--system', '--user-group', '--no-create-home', 'postgres'], { stdio: 'pipe' });
      return lookup();
    } catch (error) {
      throw new DatabaseStartupError(
        `Running as root, and no "postgres" user could be created to run the embedded PostgreSQL: ${(error as Error).message}`,
      );
    }
  }
}

/** Hands a file or folder to the run-as user (a no-op when we are not root). */
export function chownToRunAs(target: string, runAs: RunAs): void {
  if (runAs.uid !== undefined) fs.chownSync(target, runAs.uid, runAs.gid!);
}

/** As root we hand the folder to `postgres`; every parent folder must let that user through. */
export function assertReachable(parent: string, runAs: RunAs): void {
  if (runAs.uid === undefined) return;
  fs.mkdirSync(parent, { recursive: true });
  const probe = spawnSync('test', ['-x', parent], { uid: runAs.uid, gid: runAs.gid });
  if (probe.status !== 0) {
    throw new DatabaseStartupError(
      `The "postgres" user cannot reach ${parent} (a parent folder is not searchable by others); set EMBEDDED_PG_DATA_DIR to a folder it can reach`,
    );
  }
}
