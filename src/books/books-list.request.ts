import type { BookCursor } from './book-cursor';
import { MAX_AND_WORDS, MAX_MERGED_WORDS, SEARCH_CONFIG } from './books-list.bounds';
import type { BookSortField, ListBooksQueryDto } from './dto/list-books-query.dto';
import type { Book } from './entities/book.entity';

/** Raw columns a plan reads into its candidate set; BOOK_COLUMNS names them for the API. */
export const RAW_COLUMNS =
  'book.id, book.title, book.author, book.isbn, book.published_year, book.page_count, book.summary, book.created_at, book.updated_at, book.version, book.created_by, book.updated_by';

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

export type ListPlan = 'all' | 'sparse' | 'walk' | 'search';
/** Where a search's candidates come from: a sample of the table, or the full-text index (all matches). */
export type SearchSource = 'sample' | 'index';

export interface ListStatement {
  plan: ListPlan;
  sql: string;
  params: unknown[];
}

export type Row = Book & {
  total?: number;
  estimate?: string | null;
  cursor_key: string | number;
  end_id?: string | null;
  end_key?: string | number | null;
  blocks?: number | null;
  as_of?: string | null;
  applies?: boolean;
  cut?: boolean;
  last_id?: string | null;
};
export type Query = (sql: string, params: unknown[]) => Promise<Row[]>;

/** Binds a value as the next parameter (with a cast), and returns its placeholder. */
export type Bind = (value: unknown, cast?: string) => string;

/**
 * One GET /books request as the plans' SQL sees it: the filters (bound as parameters once, in a
 * fixed order), the sort, the cursor and the search's words. Each plan's statement is a function
 * of it (books-list.statements.ts, books-list.search.ts).
 */
export class ListRequest {
  readonly params: unknown[] = [];
  readonly filters: string[] = [];
  readonly sort: (typeof SORT_KEYS)[BookSortField];
  readonly direction: 'ASC' | 'DESC';
  /**
   * The words of `search` as lower-case lexemes (distinct), when it is 2 to MAX_AND_WORDS words of
   * ASCII letters and digits between spaces: a plain AND (`or` is an operator in
   * websearch_to_tsquery), whose words' estimates estimate() adds. Each is one token of the
   * `simple` parser whatever the database's locale (which decides what else is a letter), so
   * to_tsquery reads it as websearch_to_tsquery does and none is dropped as no lexeme.
   */
  readonly andWords: string[];
  private readonly filterCount: number;

  constructor(
    readonly query: ListBooksQueryDto,
    readonly cursor?: BookCursor,
  ) {
    if (query.q) {
      const q = this.bind(`%${escapeLike(query.q)}%`);
      this.filters.push(`(book.title ILIKE ${q} OR book.author ILIKE ${q})`);
    }
    if (query.author) this.filters.push(`book.author = ${this.bind(query.author)}`);
    if (query.isbn) this.filters.push(`book.isbn = ${this.bind(query.isbn)}`);
    if (query.publishedFrom !== undefined)
      this.filters.push(`book.published_year >= ${this.bind(query.publishedFrom)}`);
    if (query.publishedTo !== undefined) this.filters.push(`book.published_year <= ${this.bind(query.publishedTo)}`);
    this.filterCount = this.params.length;
    this.sort = SORT_KEYS[query.sort];
    this.direction = query.order === 'desc' ? 'DESC' : 'ASC';
    this.andWords = plainWords(query.search);
  }

  private bind(value: unknown, cast = ''): string {
    return `$${this.params.push(value)}${cast}`;
  }

  /** A copy of the filter parameters (none for a statement without the filters), to append to. */
  fork(filtered = true): { params: unknown[]; bind: Bind } {
    const params = filtered ? this.params.slice(0, this.filterCount) : [];
    return { params, bind: (value, cast = '') => `$${params.push(value)}${cast}` };
  }

  get where(): string {
    return this.filters.length ? `WHERE ${this.filters.join(' AND ')}` : '';
  }

  offset(): number {
    return this.query.cursor === undefined ? (this.query.page - 1) * this.query.limit : 0;
  }

  /** The keyset condition: after the cursor's row in sort order (true without a cursor). */
  after(bind: Bind): string {
    if (!this.cursor) return 'true';
    const op = this.direction === 'ASC' ? '>' : '<';
    return `(${this.sort.column}, book.id) ${op} (${bind(this.cursor.key, this.sort.param)}, ${bind(this.cursor.id, '::uuid')})`;
  }

  get orderBy(): string {
    return `ORDER BY ${this.sort.column} ${this.direction}, book.id ${this.direction}`;
  }

  /**
   * The words of `q` that have trigrams of their own (3+ letters or digits), when there are two or
   * more. Only letters and digits: each is safe in to_tsquery syntax.
   */
  get qWords(): string[] {
    const words = this.query.q?.match(/[\p{L}\p{N}]{3,}/gu) ?? [];
    return words.length > 1 ? words : [];
  }

  /**
   * The andWords that words() serves: 2 to MAX_MERGED_WORDS, and no other filter. Whether
   * PostgreSQL reads them the same way words() checks itself.
   */
  get searchWords(): string[] {
    const words = this.andWords;
    return this.filters.length || words.length > MAX_MERGED_WORDS ? [] : words;
  }

  tsquery(bind: Bind): string {
    return `websearch_to_tsquery('${SEARCH_CONFIG}', ${bind(this.query.search)})`;
  }
}

/**
 * `m`: the first `cap` rows of `matches`, which is planned apart, for all its rows (a
 * materialized CTE is), and read only as far as `m` needs. So the planner cannot trade an index
 * for a table scan that the LIMIT makes look cheap (it would read the whole table when the matches
 * sit at its far end): for the matches it expects (SPARSE_ESTIMATE, LONG_POSTINGS at most, by the
 * same estimate) an index is cheaper than reading every row, and no planner settings (nor the
 * transaction they would need) are called for.
 */
export function capped(matches: string, cap: number): string {
  return `c AS MATERIALIZED (${matches}), m AS MATERIALIZED (SELECT * FROM c LIMIT ${cap})`;
}

/** ListRequest.andWords of a `search` text. */
function plainWords(text: string | undefined): string[] {
  if (text === undefined || !/^[A-Za-z0-9 ]+$/.test(text)) return [];
  const words = [
    ...new Set(
      text
        .toLowerCase()
        .split(' ')
        .filter((word) => word),
    ),
  ];
  return words.includes('or') || words.length < 2 || words.length > MAX_AND_WORDS ? [] : words;
}

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => '\\' + c);
}
