import { BOOK_SORT_FIELDS, type BookSortField } from './dto/list-books-query.dto';

/** `cursor=*` starts a keyset walk at the first book; later pages pass meta.nextCursor back. */
export const FIRST_CURSOR = '*';

/** The order of a `search`: by rank, then id, both descending. */
export const RELEVANCE = 'relevance';

/** Where a keyset page starts: after the book with this sort key and id, in this order. */
export interface BookCursor {
  sort: BookSortField | typeof RELEVANCE;
  order: 'asc' | 'desc';
  /** The sort column's value: text, an integer year, an ISO timestamp with microseconds, or a rank (real, as text). */
  key: string | number;
  id: string;
  /**
   * A search ranked from a sample (books-list.statements.ts): the table's size in pages and the time
   * of its first page, so that later pages rank the same books.
   */
  sample?: { blocks: number; asOf: string };
  /**
   * A search ranked from its words' first matches in book_id order (book_words): the time of its
   * first page and the last id it found, so that later pages rank the same books.
   */
  words?: { asOf: string; last: string };
}

/** What a cursor keeps in the sample's place when its search was ranked from book_words. */
const WORDS = 'words';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** What the list query's to_char(... 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') produces. */
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
/** What PostgreSQL prints for a real: shortest exact digits, maybe with an exponent. */
const REAL = /^-?\d+(\.\d+)?(e[-+]\d+)?$/;

/** published_year is an int4: a key outside it would fail in PostgreSQL (22003), not here. */
const INT4_MIN = -2_147_483_648;
const INT4_MAX = 2_147_483_647;

/**
 * A timestamp PostgreSQL accepts: the calendar date exists (JS rolls 2024-02-30 over to
 * March 1st, PostgreSQL refuses it) and the year is not 0 (there is no year 0 in PostgreSQL).
 */
function isRealTimestamp(text: string): boolean {
  if (!TIMESTAMP.test(text)) return false;
  const parsed = new Date(text);
  if (Number.isNaN(parsed.getTime()) || parsed.getUTCFullYear() < 1) return false;
  return parsed.toISOString().slice(0, 19) === text.slice(0, 19);
}

/** Opaque to clients: base64url of a small JSON array. */
export function encodeCursor(cursor: BookCursor): string {
  const fields = [cursor.sort, cursor.order, cursor.key, cursor.id];
  if (cursor.sample) fields.push(cursor.sample.blocks, cursor.sample.asOf);
  else if (cursor.words) fields.push(WORDS, cursor.words.asOf, cursor.words.last);
  return Buffer.from(JSON.stringify(fields)).toString('base64url');
}

/** The cursor, or undefined when the text is not one this service issued (a 400 for the caller). */
export function decodeCursor(text: string): BookCursor | undefined {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(value) || value.length < 4 || value.length > 7 || value.length === 5) return undefined;
  const [sort, order, key, id, blocks, asOf, last] = value as unknown[];
  if (typeof id !== 'string' || !UUID.test(id)) return undefined;
  if (sort === RELEVANCE) {
    if (order !== 'desc' || typeof key !== 'string' || !REAL.test(key) || key.length > 40) return undefined;
    if (value.length === 4) return { sort: RELEVANCE, order, key, id };
    if (typeof asOf !== 'string' || !isRealTimestamp(asOf)) return undefined;
    if (blocks === WORDS) {
      if (typeof last !== 'string' || !UUID.test(last)) return undefined;
      return { sort: RELEVANCE, order, key, id, words: { asOf, last } };
    }
    if (value.length !== 6) return undefined;
    if (!Number.isSafeInteger(blocks) || (blocks as number) < 0 || (blocks as number) > INT4_MAX) return undefined;
    return { sort: RELEVANCE, order, key, id, sample: { blocks: blocks as number, asOf } };
  }
  if (value.length !== 4) return undefined;
  if (!(BOOK_SORT_FIELDS as readonly unknown[]).includes(sort)) return undefined;
  if (order !== 'asc' && order !== 'desc') return undefined;
  const field = sort as BookSortField;
  const keyValid =
    field === 'publishedYear'
      ? Number.isSafeInteger(key) && (key as number) >= INT4_MIN && (key as number) <= INT4_MAX
      : field === 'createdAt'
        ? typeof key === 'string' && isRealTimestamp(key)
        : typeof key === 'string' && key.length <= 300 && !key.includes('\u0000');
  if (!keyValid) return undefined;
  return { sort: field, order, key: key as string | number, id };
}
