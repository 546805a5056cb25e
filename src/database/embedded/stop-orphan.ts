import * as fs from 'node:fs';
import { delay } from '../../lib/timers';
import { isPostgresProcess, postmasterPidFile, readPostmasterPid } from './postmaster-pid';

/**
 * A run killed with SIGKILL leaves its server running, holding the data folder's lock: stop it
 * (fast, then immediate), or remove the lock when its pid no longer runs PostgreSQL.
 */
export async function stopOrphanedServer(dataDir: string, warn: (message: string) => void): Promise<void> {
  const pid = readPostmasterPid(dataDir);
  if (pid === undefined) return;
  if (!isPostgresProcess(pid)) {
    const lockFile = postmasterPidFile(dataDir);
    // The pid is gone or now belongs to another program: the lock is stale.
    warn(`Removing stale lock ${lockFile} (pid ${pid} is not running PostgreSQL)`);
    fs.rmSync(lockFile, { force: true });
    return;
  }
  warn(`Stopping PostgreSQL (pid ${pid}) left running on ${dataDir} by an earlier run`);
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + 15_000;
  while (isPostgresProcess(pid)) {
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGQUIT');
      await delay(1000);
      break;
    }
    await delay(50);
  }
}
