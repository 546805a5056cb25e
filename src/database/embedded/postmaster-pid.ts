import * as fs from 'node:fs';
import * as path from 'node:path';

/** The postmaster's pid from the first line of `<dataDir>/postmaster.pid`; undefined without a valid one. */
export function readPostmasterPid(dataDir: string): number | undefined {
  let text: string;
  try {
    text = fs.readFileSync(postmasterPidFile(dataDir), 'utf8');
  } catch {
    return undefined;
  }
  const pid = Number(text.split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

export function postmasterPidFile(dataDir: string): string {
  return path.join(dataDir, 'postmaster.pid');
}
