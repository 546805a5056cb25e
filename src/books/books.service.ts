import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { QueryFailedError, Repository } from 'typeorm';
import { ProblemException } from '../common/problem-details';
import { validationProblem } from '../common/validation';
import { constraintOf, errorCode, SqlState } from '../lib/postgres-error';
import { TransactionRunner } from '../database/runtime/transaction-runner';
import type { CreateBookDto } from './dto/create-book.dto';
import { BookCursor, decodeCursor, encodeCursor, FIRST_CURSOR } from './book-cursor';
import type { BookSortField, ListBooksQueryDto } from './dto/list-books-query.dto';
import { REQUIRED_BOOK_FIELDS, UpdateBookDto } from './dto/update-book.dto';
import { Book } from './entities/book.entity';
import type { EntityTag } from './etag';

/** Columns returned by every write, named as the entity's properties. */
const RETURNING = [
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

/** The same columns for reads. */
const BOOK_COLUMNS = RETURNING;

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

/**
 * `total` is exact up to this many matches. Past it, counting would read every match on every
 * request (tens of ms at a million rows), so it is estimated and `meta.totalEstimated` is true.
 */
export const EXACT_TOTAL_CAP = 10_000;

export interface BooksPage {
  data: Book[];
  meta: { page?: number; limit: number; total: number; totalEstimated?: true; nextCursor?: string | null };
}

type ListRow = Book & { total: number; estimate: string | null; cursor_key: string | number };

@Injectable()
export class BooksService {
  constructor(
    @InjectRepository(Book) private readonly books: Repository<Book>,
    private readonly transactions: TransactionRunner,
  ) {}

  async create(dto: CreateBookDto): Promise<Book> {
    const [book] = await this.insert([dto], () => 'isbn');
    return book;
  }

  /** All or nothing, in input order; a conflict names the first bad item. */
  async createMany(dtos: CreateBookDto[]): Promise<Book[]> {
    const indexByIsbn = new Map<string, number>();
    let repeat: { index: number; earlier: number } | undefined;
    dtos.forEach((dto, index) => {
      const earlier = indexByIsbn.get(dto.isbn);
      if (earlier === undefined) indexByIsbn.set(dto.isbn, index);
      else repeat ??= { index, earlier };
    });
    if (repeat) {
      // An earlier item may already be taken in the table: that one is the first bad item.
      const before = dtos.slice(0, repeat.index);
      const taken = await this.takenIsbns(before.map((dto) => dto.isbn));
      const first = before.findIndex((dto) => taken.has(dto.isbn));
      if (first >= 0) throw isbnTaken(dtos[first].isbn, `books[${first}].isbn`);
      const { isbn } = dtos[repeat.index];
      throw conflict(
        `books[${repeat.index}] repeats the ISBN ${isbn} of books[${repeat.earlier}]`,
        `books[${repeat.index}].isbn`,
      );
    }
    return this.insert(dtos, (isbn) => {
      const index = isbn === undefined ? undefined : indexByIsbn.get(isbn);
      return index === undefined ? 'books' : `books[${index}].isbn`;
    });
  }

  /** One multi-row INSERT in a transaction; ISBNs are distinct here, so they give back the input order. */
  private async insert(dtos: CreateBookDto[], fieldOfIsbn: (isbn?: string) => string): Promise<Book[]> {
    try {
      const rows = await this.transactions.run(async (manager) => {
        const result = await manager
          .withRepository(this.books)
          .createQueryBuilder()
          .insert()
          .values(dtos.map(toColumns))
          .returning(RETURNING)
          .execute();
        return result.raw as Book[];
      });
      const byIsbn = new Map(rows.map((row) => [row.isbn, row]));
      return dtos.map((dto) => byIsbn.get(dto.isbn)!);
    } catch (error) {
      throw this.mapWriteError(error, fieldOfIsbn);
    }
  }

  private async takenIsbns(isbns: string[]): Promise<Set<string>> {
    const rows = await this.books
      .createQueryBuilder('book')
      .select('book.isbn', 'isbn')
      .where('book.isbn IN (:...isbns)', { isbns })
      .getRawMany<{ isbn: string }>();
    return new Set(rows.map((row) => row.isbn));
  }

  /**
   * One statement, no transaction: the page (plus one row, to know whether another follows)
   * and the capped count of matches. Offset pages by `page`; keyset pages by `cursor`.
   */
  async list(query: ListBooksQueryDto): Promise<BooksPage> {
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

    const sort = SORT_KEYS[query.sort];
    const direction = query.order === 'desc' ? 'DESC' : 'ASC';
    const cursor = query.cursor === undefined ? undefined : this.parseCursor(query);
    const onPage = [...filters];
    if (cursor) {
      // A row comparison walks the (sort column, id) index from the cursor on.
      const after = `(${sort.column}, book.id) ${direction === 'ASC' ? '>' : '<'} (${bind(cursor.key, sort.param)}, ${bind(cursor.id, '::uuid')})`;
      onPage.push(after);
    }
    const offset = query.cursor === undefined ? (query.page - 1) * query.limit : 0;
    const rows = await this.books.query<ListRow[]>(
      `SELECT c.total, c.estimate, b.* FROM (
        SELECT count(*)::int AS total, ${filters.length ? 'NULL' : "(SELECT reltuples::bigint FROM pg_class WHERE oid = 'books'::regclass)"} AS estimate
        FROM (SELECT 1 FROM books book ${matching} LIMIT ${EXACT_TOTAL_CAP + 1}) capped
      ) c LEFT JOIN LATERAL (
        SELECT ${BOOK_COLUMNS}, ${query.cursor === undefined ? 'NULL' : sort.key} AS cursor_key FROM books book
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
      const estimate = filters.length ? await this.estimateMatches(matching, filterParams) : Number(rows[0].estimate);
      total = Math.max(EXACT_TOTAL_CAP + 1, Math.round(estimate));
      totalEstimated = true;
    }
    const meta: BooksPage['meta'] =
      query.cursor === undefined ? { page: query.page, limit: query.limit, total } : { limit: query.limit, total };
    if (totalEstimated) meta.totalEstimated = totalEstimated;
    if (query.cursor !== undefined) {
      const last = found.length > query.limit ? found[query.limit - 1] : undefined;
      meta.nextCursor = last
        ? encodeCursor({ sort: query.sort, order: query.order, key: last.cursor_key, id: last.id })
        : null;
    }
    return { data, meta };
  }

  /** One indexed read; a plain query, since TypeORM's findOneBy builds and hydrates on every call. */
  async findOne(id: string): Promise<Book> {
    const [book] = await this.books.query<Book[]>(`SELECT ${BOOK_COLUMNS} FROM books book WHERE book.id = $1`, [id]);
    if (!book) throw notFound(id);
    return book;
  }

  /** The cursor of a keyset page, checked against the query it comes with. */
  private parseCursor(query: ListBooksQueryDto): BookCursor | undefined {
    if (query.page !== 1) {
      throw validationProblem([{ field: 'page', message: 'page cannot be combined with cursor' }]);
    }
    if (query.cursor === FIRST_CURSOR) return undefined;
    const cursor = decodeCursor(query.cursor!);
    if (!cursor) {
      throw validationProblem([
        { field: 'cursor', message: 'cursor must be * or the meta.nextCursor of an earlier page' },
      ]);
    }
    if (cursor.sort !== query.sort || cursor.order !== query.order) {
      throw validationProblem([
        {
          field: 'cursor',
          message: `this cursor belongs to sort=${cursor.sort}&order=${cursor.order}; repeat them with it`,
        },
      ]);
    }
    return cursor;
  }

  /** The planner's row estimate for the filters: a catalogue lookup, no rows read. */
  private async estimateMatches(matching: string, params: unknown[]): Promise<number> {
    const [plan] = await this.books.query<{ 'QUERY PLAN': [{ Plan: { 'Plan Rows': number } }] }[]>(
      `EXPLAIN (FORMAT JSON) SELECT 1 FROM books book ${matching}`,
      params,
    );
    return plan['QUERY PLAN'][0].Plan['Plan Rows'];
  }

  /**
   * One atomic statement checks and bumps the version (TypeORM's save() does not check
   * @VersionColumn). A miss is told apart as 404 or 412 inside the same transaction.
   */
  async update(id: string, dto: UpdateBookDto, ifMatch: EntityTag): Promise<Book> {
    assertPatchable(dto);
    if (ifMatch !== '*' && ifMatch.length === 0) throw await this.matchFailed(id);
    try {
      return await this.transactions.run(async (manager) => {
        const repo = manager.withRepository(this.books);
        const qb = repo
          .createQueryBuilder()
          .update(Book)
          .set({ ...toColumns(dto), version: () => 'version + 1', updatedAt: () => 'now()' })
          .where('id = :id', { id });
        if (ifMatch !== '*') qb.andWhere('version IN (:...versions)', { versions: ifMatch });
        const result = await qb.returning(RETURNING).execute();
        const [book] = result.raw as Book[];
        if (book) return book;
        throw (await repo.existsBy({ id })) ? preconditionFailed(id) : notFound(id);
      });
    } catch (error) {
      throw this.mapWriteError(error, () => 'isbn');
    }
  }

  async remove(id: string, ifMatch?: EntityTag): Promise<void> {
    // An If-Match naming no version this service issued matches nothing.
    if (ifMatch !== undefined && ifMatch !== '*' && ifMatch.length === 0) throw await this.matchFailed(id);
    await this.transactions.run(async (manager) => {
      const repo = manager.withRepository(this.books);
      const qb = repo.createQueryBuilder().delete().from(Book).where('id = :id', { id });
      if (ifMatch && ifMatch !== '*') qb.andWhere('version IN (:...versions)', { versions: ifMatch });
      const result = await qb.execute();
      if (result.affected) return;
      throw ifMatch && (await repo.existsBy({ id })) ? preconditionFailed(id) : notFound(id);
    });
  }

  /** 412 when the book exists, else 404; one statement, so no transaction. */
  private async matchFailed(id: string): Promise<ProblemException> {
    return (await this.books.existsBy({ id })) ? preconditionFailed(id) : notFound(id);
  }

  private mapWriteError(error: unknown, fieldOfIsbn: (isbn?: string) => string): unknown {
    if (
      error instanceof QueryFailedError &&
      errorCode(error) === SqlState.uniqueViolation &&
      constraintOf(error) === 'books_isbn_key'
    ) {
      const detail = (error.driverError as { detail?: string }).detail ?? '';
      const isbn = /\(isbn\)=\((\d{13})\)/.exec(detail)?.[1];
      return isbnTaken(isbn, fieldOfIsbn(isbn));
    }
    return error;
  }
}

/** Only the columns a client may set; anything else in a DTO never reaches SQL. */
function toColumns(dto: Partial<CreateBookDto>): Partial<Book> {
  const columns: Partial<Book> = {};
  if (dto.title !== undefined) columns.title = dto.title;
  if (dto.author !== undefined) columns.author = dto.author;
  if (dto.isbn !== undefined) columns.isbn = dto.isbn;
  if (dto.publishedYear !== undefined) columns.publishedYear = dto.publishedYear;
  if (dto.pageCount !== undefined) columns.pageCount = dto.pageCount;
  if (dto.summary !== undefined) columns.summary = dto.summary;
  return columns;
}

function assertPatchable(dto: UpdateBookDto): void {
  const fields = Object.keys(dto).filter((key) => dto[key as keyof UpdateBookDto] !== undefined);
  if (fields.length === 0) {
    throw validationProblem([{ field: '(body)', message: 'the body must set at least one field' }]);
  }
  const nulls = REQUIRED_BOOK_FIELDS.filter((field) => dto[field] === null);
  if (nulls.length) {
    throw validationProblem(nulls.map((field) => ({ field, message: `${field} cannot be null` })));
  }
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

function notFound(id: string): ProblemException {
  return new ProblemException(404, 'not-found', `No book has id ${id}`);
}

function preconditionFailed(id: string): ProblemException {
  return new ProblemException(
    412,
    'precondition-failed',
    `Book ${id} has changed since that ETag was issued; GET it again and retry with the new ETag`,
  );
}

function isbnTaken(isbn: string | undefined, field: string): ProblemException {
  return conflict(`A book with ISBN ${isbn ?? 'given'} already exists (${field})`, field);
}

function conflict(detail: string, field: string): ProblemException {
  return new ProblemException(409, 'conflict', detail, [{ field, message: detail }]);
}
