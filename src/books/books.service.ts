import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { QueryFailedError, Repository } from 'typeorm';
import { ProblemException } from '../common/problem-details';
import { validationProblem } from '../common/validation';
import { constraintOf, errorCode, SqlState } from '../database/postgres-error';
import { TransactionRunner } from '../database/transaction-runner';
import type { CreateBookDto } from './dto/create-book.dto';
import { BooksListQuery, type BooksPage } from './books-list.query';
import type { ListBooksQueryDto } from './dto/list-books-query.dto';
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

/** Kept here for callers that import it with the service. */
export { EXACT_TOTAL_CAP } from './books-list.query';
export type { BooksPage } from './books-list.query';

@Injectable()
export class BooksService {
  constructor(
    @InjectRepository(Book) private readonly books: Repository<Book>,
    private readonly transactions: TransactionRunner,
  ) {
    this.lists = new BooksListQuery(books, transactions);
  }

  private readonly lists: BooksListQuery;

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

  /** GET /books: the plan per request shape lives in books-list.query.ts. */
  list(query: ListBooksQueryDto): Promise<BooksPage> {
    return this.lists.run(query);
  }

  /** One indexed read; a plain query, since TypeORM's findOneBy builds and hydrates on every call. */
  async findOne(id: string): Promise<Book> {
    const [book] = await this.books.query<Book[]>(`SELECT ${BOOK_COLUMNS} FROM books book WHERE book.id = $1`, [id]);
    if (!book) throw notFound(id);
    return book;
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
