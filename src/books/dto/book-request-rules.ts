import { validationProblem } from '../../common/validation';
import { BookCursor, decodeCursor, FIRST_CURSOR, RELEVANCE } from '../book-cursor';
import type { ListBooksQueryDto } from './list-books-query.dto';
import { REQUIRED_BOOK_FIELDS, UpdateBookDto } from './update-book.dto';

/**
 * Rules about a request that need more than one field, checked after the validation pipe and
 * before the service runs (400s, like the pipe's).
 */

/** A PATCH sets at least one field and sets none of the required ones to null. */
export function assertPatchable(dto: UpdateBookDto): void {
  const fields = Object.keys(dto).filter((key) => dto[key as keyof UpdateBookDto] !== undefined);
  if (fields.length === 0) {
    throw validationProblem([{ field: '(body)', message: 'the body must set at least one field' }]);
  }
  const nulls = REQUIRED_BOOK_FIELDS.filter((field) => dto[field] === null);
  if (nulls.length) {
    throw validationProblem(nulls.map((field) => ({ field, message: `${field} cannot be null` })));
  }
}

/**
 * The cursor of a keyset page, checked against the query it comes with: undefined for an
 * offset page or for `cursor=*` (the first keyset page).
 */
export function listCursorOf(query: ListBooksQueryDto): BookCursor | undefined {
  if (query.cursor === undefined) return undefined;
  if (query.page !== 1) {
    throw validationProblem([{ field: 'page', message: 'page cannot be combined with cursor' }]);
  }
  if (query.cursor === FIRST_CURSOR) return undefined;
  const cursor = decodeCursor(query.cursor);
  if (!cursor) {
    throw validationProblem([
      { field: 'cursor', message: 'cursor must be * or the meta.nextCursor of an earlier page' },
    ]);
  }
  // A search pages by relevance, whatever sort and order say.
  const [sort, order] = query.search === undefined ? [query.sort, query.order] : [RELEVANCE, 'desc'];
  if (cursor.sort !== sort || cursor.order !== order) {
    const belongs =
      cursor.sort === RELEVANCE
        ? 'a search; repeat search with it'
        : `sort=${cursor.sort}&order=${cursor.order}${query.search === undefined ? '' : ' without search'}; repeat them with it`;
    throw validationProblem([{ field: 'cursor', message: `this cursor belongs to ${belongs}` }]);
  }
  return cursor;
}
