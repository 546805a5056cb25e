import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { QueryFailedError, Repository } from 'typeorm';
import { ProblemException } from '../common/problem-details';
import { validationProblem } from '../common/validation';
import { constraintOf, errorCode, SqlState } from '../database/postgres-error';
import { TransactionRunner } from '../database/transaction-runner';
import type { CreateBookDto } from './dto/create-book.dto';
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

const SORT_COLUMNS: Record<ListBooksQueryDto['sort'], string> = {
  title: 'book.title',
  author: 'book.author',
  publishedYear: 'book.publishedYear',
  createdAt: 'book.createdAt',
};

export interface BooksPage {
  data: Book[];
  meta: { page: number; limit: number; total: number };
}

@Injectable()
export class BooksService {
  constructor(
    @InjectRepository(Book) private readonly books: Repository<Book>,
    private readonly transactions: TransactionRunner,
  ) {}

  async create(dto: CreateBookDto): Promise<Book> {
    const [book] = await this.createMany([dto]);
    return book;
  }

  /** All or nothing, in input order. */
  async createMany(dtos: CreateBookDto[]): Promise<Book[]> {
    const firstIndexByIsbn = new Map<string, number>();
    dtos.forEach((dto, index) => {
      const earlier = firstIndexByIsbn.get(dto.isbn);
      if (earlier !== undefined) {
        throw conflict(`books[${index}] repeats the ISBN ${dto.isbn} of books[${earlier}]`, `books[${index}].isbn`);
      }
      firstIndexByIsbn.set(dto.isbn, index);
    });
    try {
      return await this.transactions.run(async (manager) => {
        const result = await manager
          .withRepository(this.books)
          .createQueryBuilder()
          .insert()
          .values(dtos.map(toColumns))
          .returning(RETURNING)
          .execute();
        return result.raw as Book[];
      });
    } catch (error) {
      throw this.mapWriteError(error, (isbn) => {
        const index = isbn === undefined ? undefined : firstIndexByIsbn.get(isbn);
        return dtos.length === 1 || index === undefined ? 'isbn' : `books[${index}].isbn`;
      });
    }
  }

  /** One statement: rows and the filtered total together, no transaction needed. */
  async list(query: ListBooksQueryDto): Promise<BooksPage> {
    const qb = this.books.createQueryBuilder('book');
    if (query.q) {
      qb.andWhere('(book.title ILIKE :q OR book.author ILIKE :q)', { q: `%${escapeLike(query.q)}%` });
    }
    if (query.author) qb.andWhere('book.author = :author', { author: query.author });
    if (query.isbn) qb.andWhere('book.isbn = :isbn', { isbn: query.isbn });
    if (query.publishedFrom !== undefined) qb.andWhere('book.publishedYear >= :from', { from: query.publishedFrom });
    if (query.publishedTo !== undefined) qb.andWhere('book.publishedYear <= :to', { to: query.publishedTo });
    const direction = query.order === 'desc' ? 'DESC' : 'ASC';
    qb.orderBy(SORT_COLUMNS[query.sort], direction)
      .addOrderBy('book.id', direction)
      .offset((query.page - 1) * query.limit)
      .limit(query.limit);
    const [data, total] = await qb.getManyAndCount();
    return { data, meta: { page: query.page, limit: query.limit, total } };
  }

  async findOne(id: string): Promise<Book> {
    const book = await this.books.findOneBy({ id });
    if (!book) throw notFound(id);
    return book;
  }

  /**
   * One atomic statement checks and bumps the version (TypeORM's save() does not check
   * @VersionColumn). A miss is told apart as 404 or 412 inside the same transaction.
   */
  async update(id: string, dto: UpdateBookDto, ifMatch: EntityTag): Promise<Book> {
    assertPatchable(dto);
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
    await this.transactions.run(async (manager) => {
      const repo = manager.withRepository(this.books);
      const qb = repo.createQueryBuilder().delete().from(Book).where('id = :id', { id });
      if (ifMatch && ifMatch !== '*') qb.andWhere('version IN (:...versions)', { versions: ifMatch });
      const result = await qb.execute();
      if (result.affected) return;
      throw ifMatch && (await repo.existsBy({ id })) ? preconditionFailed(id) : notFound(id);
    });
  }

  private mapWriteError(error: unknown, fieldOfIsbn: (isbn?: string) => string): unknown {
    if (
      error instanceof QueryFailedError &&
      errorCode(error) === SqlState.uniqueViolation &&
      constraintOf(error) === 'books_isbn_key'
    ) {
      const detail = (error.driverError as { detail?: string }).detail ?? '';
      const isbn = /\(isbn\)=\((\d{13})\)/.exec(detail)?.[1];
      const field = fieldOfIsbn(isbn);
      return conflict(`A book with ISBN ${isbn ?? 'given'} already exists (${field})`, field);
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

function conflict(detail: string, field: string): ProblemException {
  return new ProblemException(409, 'conflict', detail, [{ field, message: detail }]);
}
