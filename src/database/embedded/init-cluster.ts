import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DatabaseStartupError } from '../database.exception';
import { chownToRunAs, type RunAs } from './run-as-postgres';

/**
 * `initdb` into a scratch folder renamed into place, so a run killed mid-initdb never leaves a
 * half-made cluster where the next run would try to start it. Does nothing when a cluster exists.
 */
export function initClusterIfMissing(
  bin: string,
  dataDir: string,
  password: string,
  runAs: RunAs,
  log: (message: string) => void,
): void {
  if (fs.existsSync(path.join(dataDir, 'PG_VERSION'))) return;
  if (fs.existsSync(dataDir) && fs.readdirSync(dataDir).length > 0) {
    throw new DatabaseStartupError(
      `EMBEDDED_PG_DATA_DIR (${dataDir}) is not empty and holds no PostgreSQL cluster; empty it or point it elsewhere`,
    );
  }
  log(`Creating the embedded PostgreSQL cluster in ${dataDir}`);
  const parent = path.dirname(dataDir);
  fs.mkdirSync(parent, { recursive: true });
  for (const leftover of fs.readdirSync(parent)) {
    if (leftover.startsWith(`${path.basename(dataDir)}.init-`)) {
      fs.rmSync(path.join(parent, leftover), { recursive: true, force: true });
    }
  }
  const scratch = `${dataDir}.init-${process.pid}`;
  fs.mkdirSync(scratch, { mode: 0o700 });
  const pwfile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bookapi-pg-')), 'pw');
  fs.writeFileSync(pwfile, password + '\n', { mode: 0o600 });
  try {
    for (const owned of [scratch, path.dirname(pwfile), pwfile]) chownToRunAs(owned, runAs);
    execFileSync(
      path.join(bin, 'initdb'),
      [
        `--pgdata=${scratch}`,
        '--username=postgres',
        `--pwfile=${pwfile}`,
        '--auth=scram-sha-256',
        '--encoding=UTF8',
        // PostgreSQL's own C.UTF-8: Unicode-aware lower()/ILIKE, same on every machine.
        '--locale-provider=builtin',
        '--builtin-locale=C.UTF-8',
        '--locale=C',
      ],
      { ...runAs, env: { ...process.env, LC_ALL: 'C' }, stdio: 'pipe' },
    );
    fs.renameSync(scratch, dataDir);
  } catch (error) {
    fs.rmSync(scratch, { recursive: true, force: true });
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    throw new DatabaseStartupError(`Embedded PostgreSQL initdb failed: ${stderr || (error as Error).message}`);
  } finally {
    fs.rmSync(path.dirname(pwfile), { recursive: true, force: true });
  }
}
