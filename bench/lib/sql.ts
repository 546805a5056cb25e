/**
 * The baseline's SQL, written out by hand: the statements the service sends for the
 * benchmarked requests (GET /books?limit=N is the default sort, createdAt ascending).
 */
export const BOOK_COLUMNS = [
  'id',
  'title',
  'author',
  'isbn',
  'published_year AS "publishedYear"',
  'page_count AS "pageCount"',
  'summary',
  'created_at AS "createdAt"',
  'updated_at AS "updatedAt"',
  'version',
].join(', ');

/** Count capped at 10 000 matches (an estimate beyond), and the page plus one row, as the service asks. */
export const COUNT_CAP = 10_000;

/** $1 = limit + 1, $2 = offset. */
export const LIST_SQL = `SELECT c.total, c.estimate, b.* FROM (
  SELECT count(*)::int AS total, (SELECT reltuples::bigint FROM pg_class WHERE oid = 'books'::regclass) AS estimate
  FROM (SELECT 1 FROM books book LIMIT ${COUNT_CAP + 1}) capped
) c LEFT JOIN LATERAL (
  SELECT book.id, book.title, book.author, book.isbn, book.published_year AS "publishedYear",
    book.page_count AS "pageCount", book.summary, book.created_at AS "createdAt",
    book.updated_at AS "updatedAt", book.version, NULL AS cursor_key
  FROM books book
  ORDER BY book.created_at ASC, book.id ASC
  LIMIT $1 OFFSET $2
) b ON true`;
