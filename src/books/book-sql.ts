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
].join(', ');

/**
 * `total` is exact up to this many matches. Past it, counting would read every match on every
 * request (tens of ms at a million rows), so it is estimated and `meta.totalEstimated` is true.
 */
export const EXACT_TOTAL_CAP = 10_000;
