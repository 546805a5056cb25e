import * as fs from 'node:fs';
import { delay } from '../../lib/timers';
import { isPostmasterOf } from './embedded-checks';
import { postmasterPidFile, readPostmasterPid } from './postmaster-pid';

/**
 * A run killed with SIGKILL leaves its server running, holding the data folder's lock: stop it
 * (fast, then immediate), or remove the lock when its pid is not this folder's postmaster.
 */
export async function stopOrphanedServer(dataDir: string, warn: (message: string) => void): Promise<void> {
  const pid = readPostmasterPid(dataDir);
  if (pid === undefined) return;
  if (!isPostmasterOf(pid, dataDir)) {
    const lockFile = postmasterPidFile(dataDir);
    // The pid is gone or belongs to another program (or another cluster): the lock is stale.
    warn(`Removing stale lock ${lockFile} (pid ${pid} is not the PostgreSQL of this data folder)`);
    fs.rmSync(lockFile, { force: true });
    return;
  }
  warn(`Stopping PostgreSQL (pid ${pid}) left running on ${dataDir} by an earlier run`);
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + 15_000;
  while (isPostmasterOf(pid, dataDir)) {
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGQUIT');
      await delay(1000);
      break;
    }
    await delay(50);
  }
}
