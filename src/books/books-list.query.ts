import type { Repository } from 'typeorm';
import { BOOK_COLUMNS, EXACT_TOTAL_CAP } from './book-sql';
import { type BookCursor, encodeCursor } from './book-cursor';
import type { BookSortField, ListBooksQueryDto } from './dto/list-books-query.dto';
import type { Book } from './entities/book.entity';

export interface BooksPage {
  data: Book[];
  meta: { page?: number; limit: number; total: number; totalEstimated?: true; nextCursor?: string | null };
}

/**
 * Per sort field: the column, and the exact key a cursor keeps (created_at as text with its
 * microseconds: a JS Date would round them off and repeat or skip rows at a page boundary).
 */
const SORT_KEYS: Record<BookSortField, { column: string; key: string; param: string }> = {
  title: { column: 'book.title', key: 'book.title', param: '' },
  author: { column: 'book.author', key: 'book.author', param: '' },
  publishedYear: { column: 'book.published_year', key: 'book.published_year', param: '' },
  createdAt: {
    column: 'book.created_at',
    key: `to_char(book.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`,
    param: '::timestamptz',
  },
};

type ListRow = Book & { total: number; estimate: string | null; cursor_key: string | number };

/**
 * One statement, no transaction: the page (plus one row, to know whether another follows)
 * and the capped count of matches. Offset pages by `page`; keyset pages by `cursor`, whose
 * decoded form (undefined for `*`) the request rules have already checked.
 */
export async function listBooks(
  books: Repository<Book>,
  query: ListBooksQueryDto,
  cursor: BookCursor | undefined,
): Promise<BooksPage> {
  const params: unknown[] = [];
  const bind = (value: unknown, cast = '') => `$${params.push(value)}${cast}`;
  const filters: string[] = [];
  if (query.q) {
    const q = bind(`%${escapeLike(query.q)}%`);
    filters.push(`(book.title ILIKE ${q} OR book.author ILIKE ${q})`);
  }
  if (query.author) filters.push(`book.author = ${bind(query.author)}`);
  if (query.isbn) filters.push(`book.isbn = ${bind(query.isbn)}`);
  if (query.publishedFrom !== undefined) filters.push(`book.published_year >= ${bind(query.publishedFrom)}`);
  if (query.publishedTo !== undefined) filters.push(`book.published_year <= ${bind(query.publishedTo)}`);
  const matching = filters.length ? `WHERE ${filters.join(' AND ')}` : '';
  const filterParams = params.slice();

  const keyset = query.cursor !== undefined;
  const sort = SORT_KEYS[query.sort];
  const direction = query.order === 'desc' ? 'DESC' : 'ASC';
  const onPage = [...filters];
  if (cursor) {
    // A row comparison walks the (sort column, id) index from the cursor on.
    const after = `(${sort.column}, book.id) ${direction === 'ASC' ? '>' : '<'} (${bind(cursor.key, sort.param)}, ${bind(cursor.id, '::uuid')})`;
    onPage.push(after);
  }
  const offset = keyset ? 0 : (query.page - 1) * query.limit;
  const rows = await books.query<ListRow[]>(
    `SELECT c.total, c.estimate, b.* FROM (
        SELECT count(*)::int AS total, ${filters.length ? 'NULL' : "(SELECT reltuples::bigint FROM pg_class WHERE oid = 'books'::regclass)"} AS estimate
        FROM (SELECT 1 FROM books book ${matching} LIMIT ${EXACT_TOTAL_CAP + 1}) capped
      ) c LEFT JOIN LATERAL (
        SELECT ${BOOK_COLUMNS}, ${keyset ? sort.key : 'NULL'} AS cursor_key FROM books book
        ${onPage.length ? `WHERE ${onPage.join(' AND ')}` : ''}
        ORDER BY ${sort.column} ${direction}, book.id ${direction}
        LIMIT ${bind(query.limit + 1)} OFFSET ${bind(offset)}
      ) b ON true`,
    params,
  );

  const found = rows[0].id === null ? [] : rows;
  const data = found.slice(0, query.limit).map(toBook);
  let total = rows[0].total;
  let totalEstimated: true | undefined;
  if (total > EXACT_TOTAL_CAP) {
    const estimate = filters.length ? await estimateMatches(books, matching, filterParams) : Number(rows[0].estimate);
    total = Math.max(EXACT_TOTAL_CAP + 1, Math.round(estimate));
    totalEstimated = true;
  }
  const meta: BooksPage['meta'] = keyset
    ? { limit: query.limit, total }
    : { page: query.page, limit: query.limit, total };
  if (totalEstimated) meta.totalEstimated = totalEstimated;
  if (keyset) {
    const last = found.length > query.limit ? found[query.limit - 1] : undefined;
    meta.nextCursor = last
      ? encodeCursor({ sort: query.sort, order: query.order, key: last.cursor_key, id: last.id })
      : null;
  }
  return { data, meta };
}

/** The planner's row estimate for the filters: a catalogue lookup, no rows read. */
async function estimateMatches(books: Repository<Book>, matching: string, params: unknown[]): Promise<number> {
  const [plan] = await books.query<{ 'QUERY PLAN': [{ Plan: { 'Plan Rows': number } }] }[]>(
    `EXPLAIN (FORMAT JSON) SELECT 1 FROM books book ${matching}`,
    params,
  );
  return plan['QUERY PLAN'][0].Plan['Plan Rows'];
}

/** The book alone, in the entity's property order (as TypeORM returned it). */
function toBook(row: ListRow): Book {
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
  };
}

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => '\\' + c);
}
