import type { EntityManager, Repository } from 'typeorm';
import type { TransactionRunner } from '../database/runtime/transaction-runner';
import { errorCode, SqlState } from '../lib/postgres-error';
import type { BookCursor } from './book-cursor';
import { EXACT_TOTAL_CAP } from './book-sql';
import { BITMAP_ONLY, MATCH_CAP, SEARCH_CAP } from './books-list.bounds';
import { type BooksPage, cursorOf, found, page } from './books-list.page';
import {
  choosePlans,
  commonWords,
  type Estimates,
  needsEstimates,
  type PlanName,
  type PlanNode,
  readEstimates,
} from './books-list.plan';
import { ListStatements, type ListStatement, type Query, type Row } from './books-list.statements';
import type { ListBooksQueryDto } from './dto/list-books-query.dto';
import type { Book } from './entities/book.entity';

export type { BooksPage } from './books-list.page';

/** One plan's run: its page, or undefined when it declines and the next plan runs. */
type PlanRun = (request: PlannedRequest) => Promise<BooksPage | undefined>;

interface PlannedRequest {
  statements: ListStatements;
  cursor: BookCursor | undefined;
  /** The planner's estimates (none for `all`). */
  estimates: Estimates;
  plain: Query;
}

/** Runs GET /books: the plans choosePlans names (books-list.plan.ts), in order, until one serves. */
export class BooksListQuery {
  /**
   * `books` runs plain reads: the read router, which may send them to a replica. A search whose
   * sample missed needs planner settings inside a transaction, so it runs on the primary
   * (transactions stay there).
   */
  constructor(
    private readonly books: Pick<Repository<Book>, 'query'>,
    private readonly transactions: TransactionRunner,
  ) {}

  private readonly plans: Record<PlanName, PlanRun> = {
    all: (request) => this.all(request),
    sparse: (request) => this.sparse(request),
    walk: (request) => this.walk(request),
    words: (request) => this.words(request),
    'search-sample': (request) => this.searchSample(request),
    'search-index': (request) => this.searchIndex(request, false),
    'search-bitmap': (request) => this.searchIndex(request, true),
  };

  /** `cursor` is the decoded cursor the request rules checked (undefined for offset pages and `*`). */
  async run(query: ListBooksQueryDto, cursor: BookCursor | undefined): Promise<BooksPage> {
    const statements = new ListStatements(query, cursor);
    const plain: Query = (sql, params) => this.books.query<Row[]>(sql, params);
    const estimates = needsEstimates(statements) ? await this.estimate(statements) : undefined;
    const request = { statements, cursor, estimates: estimates ?? NO_ESTIMATES, plain };
    for (const plan of choosePlans(statements, cursor, estimates)) {
      const served = await this.plans[plan](request);
      if (served) return served;
    }
    throw new Error('no list plan served the request');
  }

  private async all({ statements, plain }: PlannedRequest): Promise<BooksPage> {
    const rows = await run(plain, statements.all());
    const total = rows[0].total!;
    if (total <= EXACT_TOTAL_CAP) return page(statements, found(rows), total);
    return page(statements, found(rows), Math.max(EXACT_TOTAL_CAP + 1, Number(rows[0].estimate)), true);
  }

  private async sparse({ statements, plain }: PlannedRequest): Promise<BooksPage | undefined> {
    const rows = await run(plain, statements.sparse());
    if (rows[0].total! <= MATCH_CAP) return page(statements, found(rows), rows[0].total!);
    return undefined;
  }

  /** Many matches (or more than the estimate said): walk, and estimate the total. */
  private async walk({ statements, estimates, plain }: PlannedRequest): Promise<BooksPage> {
    const { query } = statements;
    const rows = await run(plain, statements.walk());
    const matched = found(rows);
    let nextCursor: string | null | undefined;
    if (matched.length <= query.limit) {
      const [{ end_id: id, end_key: key }] = rows;
      nextCursor = id ? cursorOf(statements, { id, cursor_key: key! }) : null;
    }
    const total = Math.max(Math.round(estimates.matches), Math.min(matched.length, query.limit));
    return page(statements, matched, total, true, nextCursor);
  }

  /** Several common words: the first SEARCH_CAP + 1 books with them all, merged from book_words. */
  private async words({ statements, cursor, estimates, plain }: PlannedRequest): Promise<BooksPage | undefined> {
    const rows = await this.wordsRows(plain, statements);
    const [{ total, applies, cut }] = rows ?? [{}];
    // A later page stays with its first page's books, whatever it finds.
    if (!rows || !applies || (cut && !cursor?.words)) return undefined;
    return total! > SEARCH_CAP
      ? page(statements, found(rows), estimated(estimates), true)
      : page(statements, found(rows), total!);
  }

  /** Many matches: ranked among the first SEARCH_CAP + 1 of a sample of the table, if it holds them. */
  private async searchSample({ statements, estimates, plain }: PlannedRequest): Promise<BooksPage | undefined> {
    const rows = await run(plain, statements.search('sample', estimates.matches));
    if (rows[0].total! > SEARCH_CAP) return page(statements, found(rows), estimated(estimates), true);
    return undefined;
  }

  /**
   * Expected to match few: no plan reads fewer rows than the index's (capped()). Else the sample did
   * not hold the matches: they sit together, maybe at the far end of a table scan, so only the index
   * may serve. Without its common words the index condition may match many more books than the
   * search: a bitmap still where that may be many (choosePlans).
   */
  private async searchIndex({ statements, estimates, plain }: PlannedRequest, bitmap: boolean): Promise<BooksPage> {
    const common = commonWords(statements.andWords, estimates.wordEstimates);
    const statement = statements.search('index', undefined, common);
    const rows = await (bitmap ? this.bitmapRows(statement) : run(plain, statement));
    const total = rows[0].total!;
    if (total <= SEARCH_CAP) return page(statements, found(rows), total);
    // Ranked among the first SEARCH_CAP + 1 matches the index gave; the total is estimated.
    return page(statements, found(rows), estimated(estimates), true);
  }

  /** The words() statement's rows, or undefined where book_words does not exist (DB_SCHEMA_MODE=sync). */
  private async wordsRows(plain: Query, statements: ListStatements): Promise<Row[] | undefined> {
    try {
      return await run(plain, statements.words());
    } catch (error) {
      if (errorCode(error) === SqlState.undefinedTable) return undefined;
      throw error;
    }
  }

  /** A search statement under BITMAP_ONLY: the plan is not left to the estimates. */
  private bitmapRows(statement: ListStatement): Promise<Row[]> {
    return this.transactions.run(async (manager: EntityManager) => {
      await manager.query(BITMAP_ONLY);
      return manager.query<Row[]>(statement.sql, statement.params);
    });
  }

  /** The planner's estimates, from one EXPLAIN (readEstimates). */
  private async estimate(statements: ListStatements): Promise<Estimates> {
    const { sql, params } = statements.estimate();
    const [explained] = await this.books.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }[]>(sql, params);
    return readEstimates(statements, explained['QUERY PLAN'][0].Plan);
  }
}

const NO_ESTIMATES: Estimates = { matches: 0, words: [], wordEstimates: [], unknownWord: 0, rows: 0 };

/** A search's total past SEARCH_CAP: the planner's estimate, and more than SEARCH_CAP. */
function estimated(estimates: Estimates): number {
  return Math.max(SEARCH_CAP + 1, Math.round(estimates.matches));
}

function run(query: Query, statement: ListStatement): Promise<Row[]> {
  return query(statement.sql, statement.params);
}
