/**
 * SQL text shared by the service and the bench's node:http baseline, which transpiles this file
 * on its own: keep it free of imports.
 */

/** Columns returned by every read and write, named as the entity's properties. */
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
  'created_by AS "createdBy"',
  'updated_by AS "updatedBy"',
].join(', ');

/** The columns a client may set, by DTO field, in the order of every INSERT. */
export const WRITABLE_COLUMNS = {
  title: 'title',
  author: 'author',
  isbn: 'isbn',
  publishedYear: 'published_year',
  pageCount: 'page_count',
  summary: 'summary',
} as const;

export type WritableField = keyof typeof WRITABLE_COLUMNS;

/** The writable fields in WRITABLE_COLUMNS order: the order of every INSERT's parameters. */
export const WRITABLE_FIELDS = Object.keys(WRITABLE_COLUMNS) as WritableField[];

/**
 * INSERT of `count` books, each row's writable fields as parameters in WRITABLE_COLUMNS order
 * (an absent optional field is a NULL, the column's default); version starts at 1. The last
 * parameter, the caller's name, is every row's created_by and updated_by.
 */
export function insertBooksSql(count: number): string {
  const width = WRITABLE_FIELDS.length;
  const caller = `$${count * width + 1}`;
  const rows: string[] = [];
  for (let row = 0; row < count; row++) {
    const params = WRITABLE_FIELDS.map((_field, column) => `$${row * width + column + 1}`);
    rows.push(`(${params.join(', ')}, 1, ${caller}, ${caller})`);
  }
  const columns = WRITABLE_FIELDS.map((field) => WRITABLE_COLUMNS[field]).join(', ');
  return `INSERT INTO books (${columns}, version, created_by, updated_by) VALUES ${rows.join(', ')} RETURNING ${BOOK_COLUMNS}`;
}

/**
 * UPDATE of one book by id ($1): the given fields from $2 on, then the caller's name (updated_by),
 * then the version bump; with `versions`, only while the version is one of the array in the last
 * parameter (If-Match).
 */
export function updateBookSql(fields: readonly WritableField[], versions: boolean): string {
  const sets = fields.map((field, index) => `${WRITABLE_COLUMNS[field]} = $${index + 2}`);
  sets.push(`updated_by = $${fields.length + 2}`, 'version = version + 1', 'updated_at = now()');
  const match = versions ? ` AND version = ANY($${fields.length + 3}::int[])` : '';
  return `UPDATE books SET ${sets.join(', ')} WHERE id = $1${match} RETURNING ${BOOK_COLUMNS}`;
}

/** DELETE of one book by id ($1); with `versions`, only while its version is one of the array in $2. */
export function deleteBookSql(versions: boolean): string {
  return `DELETE FROM books WHERE id = $1${versions ? ' AND version = ANY($2::int[])' : ''}`;
}

/**
 * `total` is exact up to this many matches. Past it, counting would read every match on every
 * request (tens of ms at a million rows), so it is estimated and `meta.totalEstimated` is true.
 */
export const EXACT_TOTAL_CAP = 10_000;
