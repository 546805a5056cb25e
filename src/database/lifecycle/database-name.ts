import { StartupError } from '../../lib/startup-error';

export class InvalidDatabaseNameError extends StartupError {}

/** PostgreSQL's NAMEDATALEN is 64, so an identifier holds at most 63 bytes. */
export const MAX_IDENTIFIER_BYTES = 63;

/** Refuses a name PostgreSQL would truncate or reject, before any SQL is sent. */
export function assertValidDatabaseName(name: string): void {
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes === 0) {
    throw new InvalidDatabaseNameError('Database name is empty: set a database in DATABASE_URL');
  }
  if (bytes > MAX_IDENTIFIER_BYTES) {
    throw new InvalidDatabaseNameError(
      `Database name is ${bytes} bytes long; PostgreSQL allows at most ${MAX_IDENTIFIER_BYTES} (it would silently truncate it)`,
    );
  }
  if (name.includes('\0')) {
    throw new InvalidDatabaseNameError('Database name contains a NUL character');
  }
}

/** Quotes an identifier for SQL: wrapped in double quotes, any `"` doubled. */
export function quoteIdentifier(name: string): string {
  return '"' + name.replace(/"/g, '""') + '"';
}
