import type { EntityManager, Repository } from 'typeorm';
import type { TransactionRunner } from '../database/runtime/transaction-runner';
import { encodeCursor, RELEVANCE, type BookCursor } from './book-cursor';
import { EXACT_TOTAL_CAP } from './book-sql';
import {
  BITMAP_ONLY,
  ListStatements,
  MATCH_CAP,
  SEARCH_CAP,
  LONG_POSTINGS,
  SPARSE_ESTIMATE,
  COMMON_WORD_RATIO,
  type ListStatement,
  type Query,
  type Row,
} from './books-list.statements';
import type { ListBooksQueryDto } from './dto/list-books-query.dto';
import { errorCode, SqlState } from '../lib/postgres-error';
import type { Book } from './entities/book.entity';

/**
 * GET /books, with a cost bounded per request whatever the data looks like (issue 15; the
 * measurements behind each number are in bench/LISTS-LAB.md):
 * - no filter: the page by its (sort, id) index, and a count capped at EXACT_TOTAL_CAP;
 * - filters the planner expects to match few rows (SPARSE_ESTIMATE): all matches, up to
 *   MATCH_CAP, by their index (capped() in books-list.statements.ts), sorted; an exact total. Not for a `q` of several
 *   words one of which matches LONG_POSTINGS rows: the bitmap reads all its trigrams' postings;
 * - filters expected to match many (or such a `q`): a walk of the (sort, id) index that examines at most
 *   WALK_BUDGET rows. A page that runs out of budget is short and its meta.nextCursor goes on
 *   from the last row examined; the total is the planner's estimate;
 * - `search` of a few words, all common (WORDS_BUDGET): up to SEARCH_CAP + 1 matches, ranked: the
 *   first in book_id order, merged from the words' entries in book_words; when the budget ran out
 *   first, as any other search:
 * - `search`: up to SEARCH_CAP + 1 matches, ranked: the first found in a sample of the table
 *   (SAMPLE_SLICES stretches of its pages), when the planner expects at least LONG_POSTINGS and
 *   the sample holds that many; else the first the full-text index yields. Past SEARCH_CAP the
 *   total is the planner's estimate.
 */
export interface BooksPage {
  data: Book[];
  meta: { page?: number; limit: number; total: number; totalEstimated?: true; nextCursor?: string | null };
}

/** Runs GET /books: picks the plan for the request's shape (see the top of this file). */
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

  /** `cursor` is the decoded cursor the request rules checked (undefined for offset pages and `*`). */
  async run(query: ListBooksQueryDto, cursor: BookCursor | undefined): Promise<BooksPage> {
    const statements = new ListStatements(query, cursor);
    const plain: Query = (sql, params) => this.books.query<Row[]>(sql, params);
    if (query.search !== undefined) {
      const { matches, wordEstimates } = await this.estimate(statements);
      const estimated = Math.max(SEARCH_CAP + 1, Math.round(matches));
      if (statements.searchWords.length && (cursor?.words || (!cursor?.sample && matches >= LONG_POSTINGS))) {
        // Several common words: the first SEARCH_CAP + 1 books with them all, merged from book_words.
        const rows = await this.wordsRows(plain, statements);
        const [{ total, applies, cut }] = rows ?? [{}];
        // A later page stays with its first page's books, whatever it finds.
        if (rows && applies && (!cut || cursor?.words)) {
          return total! > SEARCH_CAP
            ? page(statements, found(rows), estimated, true)
            : page(statements, found(rows), total!);
        }
      }
      if (matches >= LONG_POSTINGS) {
        // Many matches: ranked among the first SEARCH_CAP + 1 of a sample of the table, if it holds them.
        const rows = await run(plain, statements.search('sample', matches));
        if (rows[0].total! > SEARCH_CAP) return page(statements, found(rows), estimated, true);
      }
      // Expected to match few: no plan reads fewer rows than the index's (capped()). Else the sample did
      // not hold the matches: they sit together, maybe at the far end of a table scan, so only the index may serve.
      // Without its common words the index condition may match many more books than the search: a bitmap still.
      const common = commonWords(statements.andWords, wordEstimates);
      const statement = statements.search('index', undefined, common);
      const rows = await (matches < LONG_POSTINGS && !common.length
        ? run(plain, statement)
        : this.bitmapRows(statement));
      const total = rows[0].total!;
      if (total <= SEARCH_CAP) return page(statements, found(rows), total);
      // Ranked among the first SEARCH_CAP + 1 matches the index gave; the total is estimated.
      return page(statements, found(rows), estimated, true);
    }
    if (!statements.filters.length) {
      const rows = await run(plain, statements.all());
      const total = rows[0].total!;
      if (total <= EXACT_TOTAL_CAP) return page(statements, found(rows), total);
      return page(statements, found(rows), Math.max(EXACT_TOTAL_CAP + 1, Number(rows[0].estimate)), true);
    }
    const { matches: estimate, words } = await this.estimate(statements);
    if (estimate <= SPARSE_ESTIMATE && !words.some((word) => word >= LONG_POSTINGS)) {
      const rows = await run(plain, statements.sparse());
      if (rows[0].total! <= MATCH_CAP) return page(statements, found(rows), rows[0].total!);
    }
    // Many matches (or more than the estimate said): walk, and estimate the total.
    const rows = await run(plain, statements.walk());
    const matched = found(rows);
    let nextCursor: string | null | undefined;
    if (matched.length <= query.limit) {
      const [{ end_id: id, end_key: key }] = rows;
      nextCursor = id ? cursorOf(statements, { id, cursor_key: key! }) : null;
    }
    const total = Math.max(Math.round(estimate), Math.min(matched.length, query.limit));
    return page(statements, matched, total, true, nextCursor);
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

  /**
   * The planner's estimates: the matches, and per word of a `q` of several words (qWords) that
   * word's, or 0 where it says no more than for a word it does not know (none without such words);
   * per word of a plain-AND `search` (andWords) that word's books. Should the planner not answer
   * with one branch per statement (a parallel plan), the q words count as common (the walk is the
   * plan whose cost is bounded) and the search words are not told apart.
   */
  private async estimate(
    statements: ListStatements,
  ): Promise<{ matches: number; words: number[]; wordEstimates: number[] }> {
    const { sql, params } = statements.estimate();
    const [explained] = await this.books.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }[]>(sql, params);
    const plan = explained['QUERY PLAN'][0].Plan;
    const words = statements.qWords.length;
    const andWords = statements.andWords.length;
    const branches = 1 + (words ? words + 1 : 0) + andWords;
    if (branches === 1) return { matches: plan['Plan Rows'], words: [], wordEstimates: [] };
    if (plan['Node Type'] !== 'Append' || plan.Plans?.length !== branches) {
      return { matches: plan['Plan Rows'], words: words ? [Infinity] : [], wordEstimates: [] };
    }
    const [matches, ...each] = plan.Plans.map((branch) => branch['Plan Rows']);
    const wordEstimates = each.splice(each.length - andWords);
    if (!words) return { matches, words: [], wordEstimates };
    const unknown = each.pop()!;
    return { matches, words: each.map((rows) => (rows > unknown ? rows : 0)), wordEstimates };
  }
}

/**
 * The words of a plain-AND search to check on the rows rather than in the full-text index
 * (COMMON_WORD_RATIO): in LONG_POSTINGS books or more, and COMMON_WORD_RATIO times as many as the
 * rarest word, which always stays.
 */
export function commonWords(words: string[], estimates: number[]): string[] {
  if (estimates.length !== words.length || !words.length) return [];
  const rarest = Math.min(...estimates);
  return words.filter((_, i) => estimates[i] >= LONG_POSTINGS && estimates[i] >= COMMON_WORD_RATIO * rarest);
}

interface PlanNode {
  'Node Type': string;
  'Plan Rows': number;
  Plans?: PlanNode[];
}

/** The page's rows: the LEFT JOIN gives one row of nulls when there are none. */
function found(rows: Row[]): Row[] {
  return rows[0].id === null ? [] : rows;
}

function run(query: Query, statement: ListStatement): Promise<Row[]> {
  return query(statement.sql, statement.params);
}

function cursorOf(
  statements: ListStatements,
  row: Pick<Row, 'id' | 'cursor_key' | 'blocks' | 'as_of' | 'last_id'>,
): string {
  const { query } = statements;
  if (query.search === undefined) {
    return encodeCursor({ sort: query.sort, order: query.order, key: row.cursor_key, id: row.id });
  }
  const cursor: BookCursor = { sort: RELEVANCE, order: 'desc', key: row.cursor_key, id: row.id };
  // A page ranked from the sample: the next one samples the same pages. From book_words: the same books.
  if (row.blocks !== null && row.blocks !== undefined) cursor.sample = { blocks: row.blocks, asOf: row.as_of! };
  else if (row.as_of && row.last_id) cursor.words = { asOf: row.as_of, last: row.last_id };
  return encodeCursor(cursor);
}

/**
 * The response. `walkCursor` is set by a walk: where the next page starts when this one ran
 * out of budget (also for offset pages, which then say so), or null at the end of the table.
 */
function page(
  statements: ListStatements,
  found: Row[],
  total: number,
  totalEstimated?: true,
  walkCursor?: string | null,
): BooksPage {
  const { query } = statements;
  const data = found.slice(0, query.limit).map(toBook);
  const meta: BooksPage['meta'] =
    query.cursor === undefined ? { page: query.page, limit: query.limit, total } : { limit: query.limit, total };
  if (totalEstimated) meta.totalEstimated = totalEstimated;
  const full = found.length > query.limit;
  if (query.cursor !== undefined) {
    meta.nextCursor = full ? cursorOf(statements, found[query.limit - 1]) : (walkCursor ?? null);
  } else if (!full && walkCursor) {
    meta.nextCursor = walkCursor;
  }
  return { data, meta };
}

/** The book alone, in the entity's property order (as TypeORM returned it). */
function toBook(row: Row): Book {
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
