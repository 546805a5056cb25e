import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { QueryFailedError, Repository } from 'typeorm';
import type { ProblemException } from '../common/problem-details';
import { constraintOf, errorCode, SqlState } from '../lib/postgres-error';
import { ReadRouter } from '../database/replicas/read-router';
import { ReadRetry } from '../database/runtime/read-retry';
import { TransactionRunner } from '../database/runtime/transaction-runner';
import type { BookCursor } from './book-cursor';
import {
  BOOK_COLUMNS,
  deleteBookSql,
  insertBooksSql,
  updateBookSql,
  WRITABLE_FIELDS,
  type WritableField,
} from './book-sql';
import { conflict, isbnTaken, notFound, preconditionFailed } from './books.errors';
import { BooksListQuery, type BooksPage } from './books-list.query';
import type { CreateBookDto } from './dto/create-book.dto';
import type { ListBooksQueryDto } from './dto/list-books-query.dto';
import type { UpdateBookDto } from './dto/update-book.dto';
import { Book } from './entities/book.entity';
import type { EntityTag } from '../common/http/etag';

@Injectable()
export class BooksService {
  constructor(
    @InjectRepository(Book) private readonly books: Repository<Book>,
    private readonly transactions: TransactionRunner,
    private readonly reads: ReadRouter,
    private readonly retry: ReadRetry,
  ) {
    this.lists = new BooksListQuery(reads, transactions);
  }

  private readonly lists: BooksListQuery;

  /** `caller` is the principal's name (createdBy/updatedBy); null with access control off. */
  async create(dto: CreateBookDto, caller: string | null): Promise<Book> {
    const [book] = await this.insert([dto], caller, () => 'isbn');
    return book;
  }

  /** All or nothing, in input order; a conflict names the first bad item. */
  async createMany(dtos: CreateBookDto[], caller: string | null): Promise<Book[]> {
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
    return this.insert(dtos, caller, (isbn) => {
      const index = isbn === undefined ? undefined : indexByIsbn.get(isbn);
      return index === undefined ? 'books' : `books[${index}].isbn`;
    });
  }

  /** One multi-row INSERT in a transaction; ISBNs are distinct here, so they give back the input order. */
  private async insert(
    dtos: CreateBookDto[],
    caller: string | null,
    fieldOfIsbn: (isbn?: string) => string,
  ): Promise<Book[]> {
    const one = dtos.length === 1;
    const sql = one ? INSERT_ONE : insertBooksSql(dtos.length);
    const params = dtos.flatMap(insertParams);
    params.push(caller);
    try {
      // A batch's text varies with its size: only the single insert is worth preparing.
      const rows = await this.transactions.run((manager) =>
        this.transactions.query<Book>(manager, sql, params, one ? 'books_insert_one' : undefined),
      );
      const byIsbn = new Map(rows.map((row) => [row.isbn, row]));
      return dtos.map((dto) => byIsbn.get(dto.isbn)!);
    } catch (error) {
      throw this.mapWriteError(error, fieldOfIsbn);
    }
  }

  private async takenIsbns(isbns: string[]): Promise<Set<string>> {
    const rows = await this.checks()
      .createQueryBuilder('book')
      .select('book.isbn', 'isbn')
      .where('book.isbn IN (:...isbns)', { isbns })
      .getRawMany<{ isbn: string }>();
    return new Set(rows.map((row) => row.isbn));
  }

  /** A page of books; `cursor` is the decoded keyset cursor the request rules checked. */
  list(query: ListBooksQueryDto, cursor: BookCursor | undefined): Promise<BooksPage> {
    return this.retry.run('GET /books', () => this.lists.run(query, cursor));
  }

  /** One indexed read; a plain query, since TypeORM's findOneBy builds and hydrates on every call. */
  async findOne(id: string): Promise<Book> {
    const [book] = await this.retry.run('GET /books/:id', () =>
      this.reads.query<Book[]>(SELECT_ONE, [id], 'books_select_one'),
    );
    if (!book) throw notFound(id);
    return book;
  }

  /**
   * One atomic statement checks and bumps the version (TypeORM's save() does not check
   * @VersionColumn). A miss is told apart as 404 or 412 inside the same transaction.
   */
  async update(id: string, dto: UpdateBookDto, ifMatch: EntityTag, caller: string | null): Promise<Book> {
    if (ifMatch !== '*' && ifMatch.length === 0) throw await this.matchFailed(id);
    const fields = WRITABLE_FIELDS.filter((field) => dto[field] !== undefined);
    const params: unknown[] = [id, ...fields.map((field) => dto[field]), caller];
    if (ifMatch !== '*') params.push(ifMatch);
    const { sql, name } = updateStatement(fields, ifMatch !== '*');
    try {
      return await this.transactions.run(async (manager) => {
        const [book] = await this.transactions.query<Book>(manager, sql, params, name);
        if (book) return book;
        throw (await manager.withRepository(this.books).existsBy({ id })) ? preconditionFailed(id) : notFound(id);
      });
    } catch (error) {
      throw this.mapWriteError(error, () => 'isbn');
    }
  }

  async remove(id: string, ifMatch?: EntityTag): Promise<void> {
    // An If-Match naming no version this service issued matches nothing.
    if (ifMatch !== undefined && ifMatch !== '*' && ifMatch.length === 0) throw await this.matchFailed(id);
    const versions = ifMatch !== undefined && ifMatch !== '*';
    const sql = versions ? DELETE_MATCHING : DELETE_ANY;
    const params = versions ? [id, ifMatch] : [id];
    await this.transactions.run(async (manager) => {
      // DELETE answers [rows, rowCount] through TypeORM's query().
      const [, affected] = await manager.query<[unknown[], number]>(sql, params);
      if (affected) return;
      throw versions && (await manager.withRepository(this.books).existsBy({ id }))
        ? preconditionFailed(id)
        : notFound(id);
    });
  }

  /** 412 when the book exists, else 404; one statement, so no transaction of its own. */
  private async matchFailed(id: string): Promise<ProblemException> {
    return (await this.checks().existsBy({ id })) ? preconditionFailed(id) : notFound(id);
  }

  /**
   * The repository for a check before the write: inside a keyed write's transaction it reads there,
   * since a second pooled connection could wait on every other one.
   */
  private checks(): Repository<Book> {
    return this.transactions.joined()?.withRepository(this.books) ?? this.books;
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

const SELECT_ONE = `SELECT ${BOOK_COLUMNS} FROM books book WHERE book.id = $1`;
const INSERT_ONE = insertBooksSql(1);
const DELETE_ANY = deleteBookSql(false);
const DELETE_MATCHING = deleteBookSql(true);

/**
 * UPDATE statements by the fields set and whether If-Match names versions: at most 2^6 x 2 of them,
 * each named so it is prepared once per connection (TransactionRunner.query).
 */
const updateStatements = new Map<string, { sql: string; name: string }>();
function updateStatement(fields: WritableField[], versions: boolean): { sql: string; name: string } {
  const key = `${fields.join(',')}:${versions}`;
  let statement = updateStatements.get(key);
  if (statement === undefined) {
    statement = { sql: updateBookSql(fields, versions), name: `books_update_${updateStatements.size}` };
    updateStatements.set(key, statement);
  }
  return statement;
}

/** Only the fields a client may set reach SQL, in WRITABLE_COLUMNS order; an absent optional one is NULL. */
function insertParams(dto: CreateBookDto): unknown[] {
  return WRITABLE_FIELDS.map((field) => dto[field] ?? null);
}
