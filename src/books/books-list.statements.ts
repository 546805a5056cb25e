import { BookCursor } from './book-cursor';
import { BOOK_COLUMNS, EXACT_TOTAL_CAP } from './book-sql';
import { type BookSortField, type ListBooksQueryDto, SEARCH_RANKED } from './dto/list-books-query.dto';
import type { Book } from './entities/book.entity';

/**
 * The SQL of GET /books per plan (books-list.query.ts picks the plan and runs it), with the
 * bounds each plan keeps to.
 */
export const SPARSE_ESTIMATE = 1_000;
export const MATCH_CAP = 2_000;
export const WALK_BUDGET = 2_000;
/** A `search` ranks at most this many matches plus one (SEARCH_RANKED); more make the total estimated. */
export const SEARCH_CAP = SEARCH_RANKED - 1;
/**
 * An index entry the planner expects in this many rows has a posting list that costs more to read
 * than a walk of WALK_BUDGET rows (a GIN bitmap reads it whole: 4 ms for 40,000 postings at a
 * million rows, 40 ms for 500,000; bench/LISTS-LAB.md). So a `search` expected to match this many
 * first looks for SEARCH_RANKED matches in a sample of the table (SAMPLE_SLICES), and a `q` of several
 * words one of which matches this many (and more than an unknown word would) walks (a trigram bitmap reads the postings of every trigram
 * of every word, however rare the phrase: 20 ms for `Silent Harbor Needle`, which matches none).
 */
export const LONG_POSTINGS = 5_000;
/**
 * A common word's sample: SAMPLE_SLICES stretches of SAMPLE_PAGES heap pages, spread evenly over the
 * table from its first page to its last, read from both ends inwards (newest first) by Tid Range Scans: 400 pages at most,
 * ~15,000 books at the bench's row size, 3-4 ms at a million rows (200 stretches of 2 pages: +1 ms).
 * A word in 4 % of the books fills SEARCH_RANKED from the sample when its books are spread out, the
 * newest or the oldest (a run of them elsewhere holds one or two stretches); the bitmap it spares
 * reads the word's whole posting list and, for a spread word, a heap page per match
 * (bench/LISTS-LAB.md section 9). A word the planner expects in too few books to fill it skips it.
 */
export const SAMPLE_SLICES = 50;
export const SAMPLE_PAGES = 8;
/**
 * A `search` of 2 to MAX_MERGED_WORDS words, all common (the planner expects LONG_POSTINGS books
 * with them all), takes its candidates from book_words (words()): each word's entries in book_id
 * order, WORDS_BUDGET of each at most, merged. Two words in 50 % and 2.6 % of a million books,
 * together in 1.3 %, read ~9,500 + 500 entries for the first SEARCH_RANKED (bench/LISTS-LAB.md
 * section 12). Words that avoid each other would read every entry: the budget stops that, and the
 * request falls back to the full-text index.
 */
export const WORDS_BUDGET = 25_000;
export const MAX_MERGED_WORDS = 3;
/**
 * A `search` of plain words read through the full-text index leaves out of the index condition a
 * word the planner expects in LONG_POSTINGS books and COMMON_WORD_RATIO times as many as its rarest
 * word, and checks it on the rows instead (`search('index', ..., common)`): the GIN AND would look
 * up every entry of the rarer words in that word's posting tree (`the`, `of`, or a word in half the
 * titles), while the rows the rarer words give have it often enough that few are read in vain.
 */
export const COMMON_WORD_RATIO = 10;
export const MAX_AND_WORDS = 8;
/** ts_rank divided by 1 + log(words): of two titles with the words, the shorter ranks first. */
const RANK_NORMALIZATION = 1;
/** `search` uses this text-search configuration (why `simple`: migration BookSearchVector). */
export const SEARCH_CONFIG = 'simple';

/** Raw columns a plan reads into its candidate set; BOOK_COLUMNS names them for the API. */
const RAW_COLUMNS =
  'book.id, book.title, book.author, book.isbn, book.published_year, book.page_count, book.summary, book.created_at, book.updated_at, book.version';

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

/** Session settings under which the planner can only read an index through a bitmap. */
export const BITMAP_ONLY = `SELECT set_config('enable_seqscan', 'off', true), set_config('enable_indexscan', 'off', true), set_config('enable_indexonlyscan', 'off', true)`;

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

/** The statements, built apart from running them so a test can EXPLAIN exactly what runs. */
export class ListStatements {
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
  private fork(filtered = true): { params: unknown[]; bind: (value: unknown, cast?: string) => string } {
    const params = filtered ? this.params.slice(0, this.filterCount) : [];
    return { params, bind: (value, cast = '') => `$${params.push(value)}${cast}` };
  }

  private get where(): string {
    return this.filters.length ? `WHERE ${this.filters.join(' AND ')}` : '';
  }

  private offset(): number {
    return this.query.cursor === undefined ? (this.query.page - 1) * this.query.limit : 0;
  }

  private after(bind: (value: unknown, cast?: string) => string): string {
    if (!this.cursor) return 'true';
    const op = this.direction === 'ASC' ? '>' : '<';
    return `(${this.sort.column}, book.id) ${op} (${bind(this.cursor.key, this.sort.param)}, ${bind(this.cursor.id, '::uuid')})`;
  }

  private get orderBy(): string {
    return `ORDER BY ${this.sort.column} ${this.direction}, book.id ${this.direction}`;
  }

  /**
   * The planner's estimate of the matches (with `search`'s too): a catalogue lookup, no rows read.
   * For a `q` of several words, one more branch per word (qWords): the books with a word that
   * starts so, by the full-text statistics (an ILIKE estimate per word would cost ~0.5 ms of
   * planning each; OFFSET 0 keeps the planner from costing index paths it will not use). With
   * fewer than 100 most common lexemes (a small table) the planner says 2 % for any prefix. A last
   * branch estimates a prefix no title has ('-': the parser never makes a lexeme of punctuation alone):
   * what the planner says for a word its statistics do not know (0.5 % of the rows at most).
   */
  estimate(): ListStatement {
    const { params, bind } = this.fork();
    const filters = [...this.filters];
    if (this.query.search !== undefined) filters.push(`book.search_vector @@ ${this.tsquery(bind)}`);
    const where = filters.length ? `WHERE ${filters.join(' AND ')}` : '';
    const branches = [`SELECT 1 FROM books book ${where}`];
    const lexemes = this.qWords.map((word) => `to_tsquery('${SEARCH_CONFIG}', ${bind(`${word}:*`)})`);
    if (lexemes.length) lexemes.push(`$$'-':*$$::tsquery`);
    for (const tsquery of lexemes) {
      branches.push(
        `SELECT 1 FROM (SELECT search_vector FROM books OFFSET 0) book WHERE book.search_vector @@ ${tsquery}`,
      );
    }
    // Then one branch per word of a plain-AND `search` (andWords): that lexeme's books. A whole
    // lexeme is no prefix match, so costing the index path is cheap: ~0.16 ms a branch at a
    // million rows, against ~0.7 ms through the subquery (pgbench on lists_lab).
    for (const word of this.andWords) {
      branches.push(
        `SELECT 1 FROM books book WHERE book.search_vector @@ to_tsquery('${SEARCH_CONFIG}', ${bind(word)})`,
      );
    }
    return { plan: 'sparse', sql: `EXPLAIN (FORMAT JSON) ${branches.join(' UNION ALL ')}`, params };
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

  private tsquery(bind: (value: unknown, cast?: string) => string): string {
    return `websearch_to_tsquery('${SEARCH_CONFIG}', ${bind(this.query.search)})`;
  }

  /** The page of `source` in sort order after the cursor, beside the count `counted`. */
  private sortedPage(counted: string, source: string): { sql: string; params: unknown[] } {
    const { params, bind } = this.fork();
    const sql = `SELECT c.*, b.* FROM (${counted}) c LEFT JOIN LATERAL (
        SELECT ${BOOK_COLUMNS}, ${this.sort.key} AS cursor_key FROM ${source} book
        WHERE ${this.after(bind)} ${this.orderBy}
        LIMIT ${bind(this.query.limit + 1)} OFFSET ${bind(this.offset())}
      ) b ON true`;
    return { sql, params };
  }

  /** No filter: the page, plus the count capped at EXACT_TOTAL_CAP and the table's estimate. */
  all(): ListStatement {
    const counted = `SELECT count(*)::int AS total, (SELECT reltuples::bigint FROM pg_class WHERE oid = 'books'::regclass) AS estimate
        FROM (SELECT 1 FROM books book LIMIT ${EXACT_TOTAL_CAP + 1}) capped`;
    return { plan: 'all', ...this.sortedPage(counted, 'books') };
  }

  /** Every match (up to MATCH_CAP + 1, read through their index: capped()), counted, sorted, paged. */
  sparse(): ListStatement {
    const { sql, params } = this.sortedPage('SELECT count(*)::int AS total FROM m', 'm');
    const matches = `WITH ${capped(`SELECT ${RAW_COLUMNS} FROM books book ${this.where}`, MATCH_CAP + 1)} `;
    return { plan: 'sparse', sql: matches + sql, params };
  }

  /**
   * The next WALK_BUDGET rows in sort order, filtered: stops as soon as the page is full. When it
   * is not, each row also says where the walk stopped (end_id, end_key: the last row examined,
   * where the next walk starts; null when the table ended first), read by an index-only probe
   * that a one-time filter skips for a full page.
   */
  walk(): ListStatement {
    const { params, bind } = this.fork();
    const page = `SELECT ${BOOK_COLUMNS}, ${this.sort.key} AS cursor_key FROM (
        SELECT ${RAW_COLUMNS} FROM books book WHERE ${this.after(bind)} ${this.orderBy} LIMIT ${WALK_BUDGET}
      ) book ${this.where} ${this.orderBy}
      LIMIT ${bind(this.query.limit + 1)} OFFSET ${bind(this.offset())}`;
    const end = `SELECT book.id AS end_id, ${this.sort.key} AS end_key FROM (
        SELECT book.id, ${this.sort.column} FROM books book
        WHERE ${this.after(bind)} AND (SELECT count(*) FROM p) <= ${bind(this.query.limit)}
        ${this.orderBy} OFFSET ${WALK_BUDGET - 1} LIMIT 1
      ) book`;
    const sql = `WITH p AS MATERIALIZED (${page}), e AS MATERIALIZED (${end})
      SELECT p.*, e.* FROM (SELECT) one LEFT JOIN e ON true LEFT JOIN p ON true`;
    return { plan: 'walk', sql, params };
  }

  /**
   * Up to SEARCH_CAP + 1 matches, ranked, paged by (rank, id). From `index`: the first the
   * full-text index yields (capped(); under BITMAP_ONLY when a sample missed). From `sample`: the first found in
   * SAMPLE_SLICES stretches of the heap, from both ends inwards, fewer when they are not there, and none when
   * the `expected` matches (the planner's) are too few for it to hold SEARCH_RANKED. The stretches
   * follow the table's size in pages (`blocks`), and books created after the first page (`as_of`) are
   * left out; a later page's cursor brings both back, so every page ranks the same candidates.
   */
  search(source: SearchSource, expected?: number, common: string[] = []): ListStatement {
    const { params, bind } = this.fork();
    const tsquery = this.tsquery(bind);
    // Words left out of the index condition (COMMON_WORD_RATIO) are checked by ts_match_vq, which no index serves.
    const rarer = this.andWords.filter((word) => !common.includes(word));
    const matched = common.length
      ? [
          `book.search_vector @@ to_tsquery('${SEARCH_CONFIG}', ${bind(rarer.join(' & '))})`,
          `ts_match_vq(book.search_vector, ${tsquery})`,
        ]
      : [`book.search_vector @@ ${tsquery}`];
    const filters = [...matched, ...this.filters].join(' AND ');
    const rank = `ts_rank(book.search_vector, ${tsquery}, ${RANK_NORMALIZATION}) AS rank`;
    let candidates = `SELECT ${RAW_COLUMNS}, ${rank}, NULL::int AS blocks, NULL::text AS as_of FROM books book WHERE ${filters}`;
    if (source === 'sample') {
      // The table's pages (the cursor's, on a later page), when the sample is expected to fill SEARCH_RANKED.
      const { sample } = this.cursor ?? {};
      const blocks = `coalesce(${bind(sample?.blocks ?? null, '::int')}, (pg_relation_size('books') / current_setting('block_size')::int)::int)`;
      const asOf = `coalesce(${bind(sample?.asOf ?? null, '::timestamptz')}, now())`;
      const fills = `${bind(expected ?? 0, '::float8')} * ${SAMPLE_SLICES * SAMPLE_PAGES} >= ${SEARCH_CAP + 1} * blocks`;
      const start = (n: string) => `${n} * greatest(t.blocks - ${SAMPLE_PAGES}, 0) / ${SAMPLE_SLICES - 1}`;
      // ts_match_vq is @@ as a function: no index serves it, so each stretch is read by its Tid Range Scan.
      const sampled = [`book.created_at <= t.as_of`, `ts_match_vq(book.search_vector, ${tsquery})`, ...this.filters];
      const end = `CASE WHEN s.n = ${SAMPLE_SLICES - 1} THEN t.blocks ELSE least(${start('s.n')} + ${SAMPLE_PAGES}, ${start('(s.n + 1)')}) END`;
      candidates = `SELECT ${RAW_COLUMNS}, ${rank}, t.blocks::int,
            to_char(t.as_of AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS as_of FROM (
            SELECT blocks, as_of FROM (SELECT ${blocks}::bigint AS blocks, ${asOf} AS as_of OFFSET 0) size WHERE ${fills}
          ) t CROSS JOIN generate_series(0, ${SAMPLE_SLICES - 1}) AS k(i)
          CROSS JOIN LATERAL (SELECT CASE WHEN k.i % 2 = 0 THEN ${SAMPLE_SLICES - 1} - k.i / 2 ELSE k.i / 2 END AS n) s
          CROSS JOIN LATERAL (
            SELECT ${RAW_COLUMNS}, book.search_vector FROM books book
            WHERE book.ctid >= format('(%s,0)', ${start('s.n')})::tid AND book.ctid < format('(%s,0)', ${end})::tid
              AND ${sampled.join(' AND ')} LIMIT ${SEARCH_CAP + 1}
          ) book`;
    }
    const sql = `WITH ${capped(candidates, SEARCH_CAP + 1)}
      ${this.rankedPage('SELECT count(*)::int AS total FROM m', bind)}`;
    return { plan: 'search', sql, params };
  }

  /**
   * The page of a search's ranked candidates (the CTE `m`) after the cursor, by (rank, id)
   * descending, beside the row `counted` (their count, and whatever else the statement reports).
   */
  private rankedPage(counted: string, bind: (value: unknown, cast?: string) => string): string {
    const after = this.cursor
      ? `(book.rank, book.id) < (${bind(this.cursor.key, '::real')}, ${bind(this.cursor.id, '::uuid')})`
      : 'true';
    return `SELECT c.*, b.* FROM (${counted}) c LEFT JOIN LATERAL (
        SELECT ${BOOK_COLUMNS}, book.rank::text AS cursor_key, book.blocks, book.as_of FROM m book
        WHERE ${after} ORDER BY book.rank DESC, book.id DESC
        LIMIT ${bind(this.query.limit + 1)} OFFSET ${bind(this.offset())}
      ) b ON true`;
  }

  /**
   * Up to SEARCH_CAP + 1 books with all of `words` (searchWords), ranked, paged by (rank, id): the
   * first in book_id order, created before `as_of` (now, or the cursor's), from a Merge Join of the
   * words' book_words entries, WORDS_BUDGET of each at most. Book ids are random, so they are a
   * sample of the matches wherever the matches sit in the table; each is checked against
   * search_vector itself. The row also says whether PostgreSQL parses the search into exactly
   * these words, ANDed (`applies`: else nothing is read), and, when fewer than SEARCH_CAP + 1 were
   * found, whether a word has more entries than the budget read (`cut`: more matches may exist).
   * A later page reads the same books: those its cursor's first page found (up to its `last` id,
   * created before its `as_of`), with twice the budget for books added in between, and no `cut`.
   */
  words(): ListStatement {
    const words = this.searchWords;
    const { params, bind } = this.fork();
    const tsquery = this.tsquery(bind);
    const text = bind(this.query.search);
    const asOf = `coalesce(${bind(this.cursor?.words?.asOf ?? null, '::timestamptz')}, now())`;
    const applies = `${tsquery} = plainto_tsquery('${SEARCH_CONFIG}', ${text})
      AND tsvector_to_array(to_tsvector('${SEARCH_CONFIG}', ${text})) @> ${bind(words, '::text[]')}
      AND tsvector_to_array(to_tsvector('${SEARCH_CONFIG}', ${text})) <@ ${bind(words, '::text[]')}`;
    const pinned = this.cursor?.words;
    const upTo = pinned ? `AND book_id <= ${bind(pinned.last, '::uuid')}` : '';
    const budget = pinned ? 2 * WORDS_BUDGET : WORDS_BUDGET;
    const entries = words
      .map((word) => bind(word))
      .map((word) => `(SELECT book_id FROM book_words WHERE word = ${word} ${upTo} ORDER BY book_id LIMIT ${budget})`);
    const merged = entries
      .slice(1)
      .reduce((join, list, i) => `${join} JOIN ${list} w${i + 1} USING (book_id)`, `${entries[0]} w0`);
    const cut = pinned ? 'false' : entries.map((list) => `(SELECT count(*) FROM ${list} w) = ${budget}`).join(' OR ');
    const rank = `ts_rank(book.search_vector, ${tsquery}, ${RANK_NORMALIZATION}) AS rank`;
    const sql = `WITH t AS MATERIALIZED (SELECT ${asOf} AS as_of, ${applies} AS applies),
      m AS MATERIALIZED (
        SELECT ${RAW_COLUMNS}, ${rank}, NULL::int AS blocks,
          (SELECT to_char(as_of AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') FROM t) AS as_of
        -- The merge, then one book at a time by its primary key, in the merge's order. Each side is kept
        -- apart (OFFSET 0: not flattened), so the planner can neither join books into the merge nor join
        -- the lists through books; t is read by one-time filters, so the merge's order serves the ORDER BY.
        FROM (SELECT w0.book_id FROM ${merged} ORDER BY w0.book_id OFFSET 0) w
        CROSS JOIN LATERAL (
          SELECT * FROM books book
          WHERE book.id = w.book_id AND book.search_vector @@ ${tsquery} AND book.created_at <= (SELECT as_of FROM t)
          OFFSET 0
        ) book
        WHERE (SELECT applies FROM t)
        ORDER BY w.book_id LIMIT ${SEARCH_CAP + 1}
      )
      ${this.rankedPage(
        `SELECT count(*)::int AS total, (SELECT applies FROM t) AS applies,
          (SELECT id::text FROM m ORDER BY id DESC LIMIT 1) AS last_id,
          CASE WHEN count(*) <= ${SEARCH_CAP} AND (SELECT applies FROM t) THEN ${cut} ELSE false END AS cut
        FROM m`,
        bind,
      )}`;
    return { plan: 'search', sql, params };
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
function capped(matches: string, cap: number): string {
  return `c AS MATERIALIZED (${matches}), m AS MATERIALIZED (SELECT * FROM c LIMIT ${cap})`;
}

/** ListStatements.andWords of a `search` text. */
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
