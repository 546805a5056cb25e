import * as fs from 'node:fs';
import { DatabaseStartupError } from '../database.exception';

/**
 * True when `pid` is the postmaster of `dataDir`: a live process, running as the data folder's
 * owner, whose working directory is the data folder (the postmaster chdirs there). A command
 * line that merely says "postgres" is not enough: after a reboot the pid in a stale
 * postmaster.pid may belong to anything, even to another cluster's server.
 */
export function isPostmasterOf(pid: number, dataDir: string): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const owner = fs.statSync(dataDir).uid;
    const processOwner = fs.statSync(`/proc/${pid}`).uid;
    const cwd = fs.readlinkSync(`/proc/${pid}/cwd`);
    return processOwner === owner && cwd === fs.realpathSync(dataDir);
  } catch {
    // Gone meanwhile, or not ours to inspect: either way not this folder's server.
    return false;
  }
}

/**
 * Refuses a secret file others could read or that someone else owns (they could have planted
 * or could read the password), with a message that says what to fix.
 */
export function assertPrivateFile(file: string): void {
  const stat = fs.statSync(file);
  const uid = process.getuid?.();
  if (uid !== undefined && stat.uid !== uid) {
    throw new DatabaseStartupError(
      `${file} is owned by uid ${stat.uid}, not by the user running the service (uid ${uid}); chown it or delete it to make a new one`,
    );
  }
  if ((stat.mode & 0o077) !== 0) {
    throw new DatabaseStartupError(
      `${file} has mode ${(stat.mode & 0o777).toString(8).padStart(4, '0')}; it holds a password and must be readable by its owner only (chmod 600 ${file})`,
    );
  }
}
