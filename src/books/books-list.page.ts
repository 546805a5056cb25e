import { encodeCursor, RELEVANCE, type BookCursor } from './book-cursor';
import type { ListStatements, Row } from './books-list.statements';
import type { Book } from './entities/book.entity';

/** GET /books's answer: the page, and its meta (an estimated total says so). */
export interface BooksPage {
  data: Book[];
  meta: { page?: number; limit: number; total: number; totalEstimated?: true; nextCursor?: string | null };
}

/** The page's rows: the LEFT JOIN gives one row of nulls when there are none. */
export function found(rows: Row[]): Row[] {
  return rows[0].id === null ? [] : rows;
}

export function cursorOf(
  statements: ListStatements,
  row: Pick<Row, 'id' | 'cursor_key' | 'blocks' | 'as_of' | 'last_id'>,
): string {
  const { query } = statements;
  if (query.search === undefined) {
    return encodeCursor({ sort: query.sort, order: query.order, key: row.cursor_key, id: row.id });
  }
  const cursor: BookCursor = { sort: RELEVANCE, order: 'desc', key: row.cursor_key, id: row.id };
  // A page ranked from the sample: the next one samples the same pages. From book_words: the same books.
  if (row.blocks !== null && row.blocks !== undefined) cursor.sample = { blocks: row.blocks, asOf: row.as_of! };
  else if (row.as_of && row.last_id) cursor.words = { asOf: row.as_of, last: row.last_id };
  return encodeCursor(cursor);
}

/**
 * The response. `walkCursor` is set by a walk: where the next page starts when this one ran
 * out of budget (also for offset pages, which then say so), or null at the end of the table.
 */
export function page(
  statements: ListStatements,
  found: Row[],
  total: number,
  totalEstimated?: true,
  walkCursor?: string | null,
): BooksPage {
  const { query } = statements;
  const data = found.slice(0, query.limit).map(toBook);
  const meta: BooksPage['meta'] =
    query.cursor === undefined ? { page: query.page, limit: query.limit, total } : { limit: query.limit, total };
  if (totalEstimated) meta.totalEstimated = totalEstimated;
  const full = found.length > query.limit;
  if (query.cursor !== undefined) {
    meta.nextCursor = full ? cursorOf(statements, found[query.limit - 1]) : (walkCursor ?? null);
  } else if (!full && walkCursor) {
    meta.nextCursor = walkCursor;
  }
  return { data, meta };
}

/** The book alone, in the entity's property order (as TypeORM returned it). */
function toBook(row: Row): Book {
  return {
    id: row.id,
    title: row.title,
    author: row.author,
    isbn: row.isbn,
    publishedYear: row.publishedYear,
    pageCount: row.pageCount,
    summary: row.summary,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    version: row.version,
    createdBy: row.createdBy,
    updatedBy: row.updatedBy,
  };
}
