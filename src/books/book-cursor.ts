import { decodeKeyset, encodeKeyset, isCursorTimestamp, isInt4, isUuid } from '../common/http/keyset-cursor';
import { BOOK_SORT_FIELDS, type BookSortField } from './dto/list-books-query.dto';

export { FIRST_CURSOR } from '../common/http/keyset-cursor';

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

/** What PostgreSQL prints for a real: shortest exact digits, maybe with an exponent. */
const REAL = /^-?\d+(\.\d+)?(e[-+]\d+)?$/;

/** [sort, order, key, id], then the sample's or the words' fields for a ranked search. */
export function encodeCursor(cursor: BookCursor): string {
  const fields = [cursor.sort, cursor.order, cursor.key, cursor.id];
  if (cursor.sample) fields.push(cursor.sample.blocks, cursor.sample.asOf);
  else if (cursor.words) fields.push(WORDS, cursor.words.asOf, cursor.words.last);
  return encodeKeyset(fields);
}

/** The cursor, or undefined when the text is not one this service issued (a 400 for the caller). */
export function decodeCursor(text: string): BookCursor | undefined {
  const value = decodeKeyset(text);
  if (!value || value.length < 4 || value.length > 7 || value.length === 5) return undefined;
  const [sort, order, key, id, blocks, asOf, last] = value;
  if (!isUuid(id)) return undefined;
  if (sort === RELEVANCE) {
    if (order !== 'desc' || typeof key !== 'string' || !REAL.test(key) || key.length > 40) return undefined;
    if (value.length === 4) return { sort: RELEVANCE, order, key, id };
    if (!isCursorTimestamp(asOf)) return undefined;
    if (blocks === WORDS) {
      if (!isUuid(last)) return undefined;
      return { sort: RELEVANCE, order, key, id, words: { asOf, last } };
    }
    if (value.length !== 6) return undefined;
    if (!isInt4(blocks) || blocks < 0) return undefined;
    return { sort: RELEVANCE, order, key, id, sample: { blocks, asOf } };
  }
  if (value.length !== 4) return undefined;
  if (!(BOOK_SORT_FIELDS as readonly unknown[]).includes(sort)) return undefined;
  if (order !== 'asc' && order !== 'desc') return undefined;
  const field = sort as BookSortField;
  const keyValid =
    field === 'publishedYear'
      ? isInt4(key)
      : field === 'createdAt'
        ? isCursorTimestamp(key)
        : typeof key === 'string' && key.length <= 300 && !key.includes('\u0000');
  if (!keyValid) return undefined;
  return { sort: field, order, key: key as string | number, id };
}
