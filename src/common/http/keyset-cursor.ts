/**
 * Keyset pagination for any resource: a page starts after the row with a given sort key and id,
 * so it costs the same at any depth, where OFFSET reads every row it skips. The cursor is opaque
 * to clients (base64url of a small JSON array); the resource decides what the array holds and
 * checks every item on the way back in, since a client may send anything.
 */

/** `cursor=*` asks for the first keyset page; later pages pass back the previous page's cursor. */
export const FIRST_CURSOR = '*';

/** The format a timestamp key is read with in SQL, keeping the microseconds a JS Date would lose. */
export const CURSOR_TIMESTAMP_FORMAT = 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"';

export function encodeKeyset(fields: readonly unknown[]): string {
  return Buffer.from(JSON.stringify(fields)).toString('base64url');
}

/** The cursor's items, or undefined when the text is not such a cursor (a 400 for the caller). */
export function decodeKeyset(text: string): unknown[] | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    return Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

/** An int4 key: one outside the range would fail in PostgreSQL (22003) rather than here. */
export function isInt4(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= -2_147_483_648 && (value as number) <= 2_147_483_647;
}

/**
 * A timestamp written in CURSOR_TIMESTAMP_FORMAT that PostgreSQL accepts: the calendar date exists
 * (JS rolls 2024-02-30 over to March 1st, PostgreSQL refuses it) and the year is not 0 (there is
 * no year 0 in PostgreSQL).
 */
export function isCursorTimestamp(value: unknown): value is string {
  if (typeof value !== 'string' || !TIMESTAMP.test(value)) return false;
  const parsed = new Date(value);
  if (Number.isNaN(parsed.getTime()) || parsed.getUTCFullYear() < 1) return false;
  return parsed.toISOString().slice(0, 19) === value.slice(0, 19);
}
