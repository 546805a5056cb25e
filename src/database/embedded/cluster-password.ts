import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { assertPrivateFile } from './embedded-checks';

/**
 * A password of the embedded cluster, made on first use and kept beside the data folder (mode 0600,
 * refused otherwise): the superuser's in `<dataDir>.password`, each other role's in
 * `<dataDir>.<role>.password`, so no two roles share one.
 */
export function clusterPassword(dataDir: string, role = 'postgres'): string {
  const file = role === 'postgres' ? `${dataDir}.password` : `${dataDir}.${role}.password`;
  try {
    const password = fs.readFileSync(file, 'utf8').trim();
    assertPrivateFile(file);
    return password;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const password = randomBytes(18).toString('base64url');
  try {
    fs.writeFileSync(file, password + '\n', { mode: 0o600, flag: 'wx' });
    return password;
  } catch (error) {
    // Another process wrote it first: use theirs.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return fs.readFileSync(file, 'utf8').trim();
    throw error;
  }
}
