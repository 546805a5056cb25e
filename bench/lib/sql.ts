/**
 * The baseline's SQL: the statements the service sends for the benchmarked requests
 * (GET /books?limit=N is the default sort, createdAt ascending), on the service's own column list.
 */
import { BOOK_COLUMNS, EXACT_TOTAL_CAP, WRITABLE_COLUMNS } from '../../src/books/book-sql';

export { BOOK_COLUMNS, WRITABLE_COLUMNS };

/** Count capped at 10 000 matches (an estimate beyond), and the page plus one row, as the service asks. */
export const COUNT_CAP = EXACT_TOTAL_CAP;

/** $1 = limit + 1, $2 = offset. */
export const LIST_SQL = `SELECT c.total, c.estimate, b.* FROM (
  SELECT count(*)::int AS total, (SELECT reltuples::bigint FROM pg_class WHERE oid = 'books'::regclass) AS estimate
  FROM (SELECT 1 FROM books book LIMIT ${COUNT_CAP + 1}) capped
) c LEFT JOIN LATERAL (
  SELECT ${BOOK_COLUMNS}, NULL AS cursor_key
  FROM books book
  ORDER BY book.created_at ASC, book.id ASC
  LIMIT $1 OFFSET $2
) b ON true`;
