import { BOOK_COLUMNS, EXACT_TOTAL_CAP } from './book-sql';
import { MATCH_CAP, SEARCH_CONFIG, WALK_BUDGET } from './books-list.bounds';
import { capped, ListRequest, RAW_COLUMNS, type ListStatement, type SearchSource } from './books-list.request';
import { searchIndexStatement, searchSampleStatement, wordsStatement } from './books-list.search';

export type { ListPlan, ListStatement, Query, Row, SearchSource } from './books-list.request';

/*
 * The SQL of GET /books, one function per plan (books-list.plan.ts says which plan serves what;
 * the `search` plans are in books-list.search.ts). src/books/queries/*.sql hold what each builds
 * for a fixed set of requests, so a change to it shows in review as SQL.
 */

/** The statements of one request, built apart from running them so a test can EXPLAIN exactly what runs. */
export class ListStatements extends ListRequest {
  estimate(): ListStatement {
    return estimateStatement(this);
  }

  all(): ListStatement {
    return allStatement(this);
  }

  sparse(): ListStatement {
    return sparseStatement(this);
  }

  walk(): ListStatement {
    return walkStatement(this);
  }

  /** search-sample with `expected` matches, or search-index leaving out the `common` words. */
  search(source: SearchSource, expected?: number, common: string[] = []): ListStatement {
    return source === 'sample' ? searchSampleStatement(this, expected) : searchIndexStatement(this, common);
  }

  words(): ListStatement {
    return wordsStatement(this);
  }
}

/**
 * The planner's estimate of the matches (with `search`'s too): a catalogue lookup, no rows read.
 * For a `q` of several words, one more branch per word (qWords): the books with a word that
 * starts so, by the full-text statistics (cheaper to plan than an ILIKE estimate
 * per word; OFFSET 0 keeps the planner from costing index paths it will not use). With
 * fewer than 100 most common lexemes (a small table) the planner says 2 % for any prefix. A last
 * branch estimates a prefix no title has ('-': the parser never makes a lexeme of punctuation alone):
 * what the planner says for a word its statistics do not know (0.5 % of the rows at most).
 */
export function estimateStatement(r: ListRequest): ListStatement {
  const { params, bind } = r.fork();
  const filters = [...r.filters];
  if (r.query.search !== undefined) filters.push(`book.search_vector @@ ${r.tsquery(bind)}`);
  const where = filters.length ? `WHERE ${filters.join(' AND ')}` : '';
  const branches = [`SELECT 1 FROM books book ${where}`];
  const lexemes = r.qWords.map((word) => `to_tsquery('${SEARCH_CONFIG}', ${bind(`${word}:*`)})`);
  if (lexemes.length) lexemes.push(`$$'-':*$$::tsquery`);
  for (const tsquery of lexemes) {
    branches.push(
      `SELECT 1 FROM (SELECT search_vector FROM books OFFSET 0) book WHERE book.search_vector @@ ${tsquery}`,
    );
  }
  // Then one branch per word of a plain-AND `search` (andWords): that lexeme's books. A whole
  // lexeme is no prefix match, so costing the index path is cheaper than the subquery.
  for (const word of r.andWords) {
    branches.push(`SELECT 1 FROM books book WHERE book.search_vector @@ to_tsquery('${SEARCH_CONFIG}', ${bind(word)})`);
  }
  // And the table's rows, of which those are shares (withoutWords()).
  if (r.andWords.length) branches.push('SELECT 1 FROM books book');
  // Any other `search`: a last branch for a whole lexeme no book has ('-'), what the planner says for
  // a word its statistics do not know, which is no count of books (choosePlans).
  if (r.query.search !== undefined && !r.andWords.length) {
    branches.push(`SELECT 1 FROM books book WHERE book.search_vector @@ $$'-'$$::tsquery`);
  }
  return { plan: 'sparse', sql: `EXPLAIN (FORMAT JSON) ${branches.join(' UNION ALL ')}`, params };
}

/** The page of `source` in sort order after the cursor, beside the count `counted`. */
function sortedPage(r: ListRequest, counted: string, source: string): { sql: string; params: unknown[] } {
  const { params, bind } = r.fork();
  const sql = `SELECT c.*, b.* FROM (${counted}) c LEFT JOIN LATERAL (
        SELECT ${BOOK_COLUMNS}, ${r.sort.key} AS cursor_key FROM ${source} book
        WHERE ${r.after(bind)} ${r.orderBy}
        LIMIT ${bind(r.query.limit + 1)} OFFSET ${bind(r.offset())}
      ) b ON true`;
  return { sql, params };
}

/** all: no filter. The page, plus the count capped at EXACT_TOTAL_CAP and the table's estimate. */
export function allStatement(r: ListRequest): ListStatement {
  const counted = `SELECT count(*)::int AS total, (SELECT reltuples::bigint FROM pg_class WHERE oid = 'books'::regclass) AS estimate
        FROM (SELECT 1 FROM books book LIMIT ${EXACT_TOTAL_CAP + 1}) capped`;
  return { plan: 'all', ...sortedPage(r, counted, 'books') };
}

/** sparse: every match (up to MATCH_CAP + 1, read through their index: capped()), counted, sorted, paged. */
export function sparseStatement(r: ListRequest): ListStatement {
  const { sql, params } = sortedPage(r, 'SELECT count(*)::int AS total FROM m', 'm');
  const matches = `WITH ${capped(`SELECT ${RAW_COLUMNS} FROM books book ${r.where}`, MATCH_CAP + 1)} `;
  return { plan: 'sparse', sql: matches + sql, params };
}

/**
 * walk: the next WALK_BUDGET rows in sort order, filtered: stops as soon as the page is full. When it
 * is not, each row also says where the walk stopped (end_id, end_key: the last row examined,
 * where the next walk starts; null when the table ended first), read by an index-only probe
 * that a one-time filter skips for a full page.
 */
export function walkStatement(r: ListRequest): ListStatement {
  const { params, bind } = r.fork();
  const page = `SELECT ${BOOK_COLUMNS}, ${r.sort.key} AS cursor_key FROM (
        SELECT ${RAW_COLUMNS} FROM books book WHERE ${r.after(bind)} ${r.orderBy} LIMIT ${WALK_BUDGET}
      ) book ${r.where} ${r.orderBy}
      LIMIT ${bind(r.query.limit + 1)} OFFSET ${bind(r.offset())}`;
  const end = `SELECT book.id AS end_id, ${r.sort.key} AS end_key FROM (
        SELECT book.id, ${r.sort.column} FROM books book
        WHERE ${r.after(bind)} AND (SELECT count(*) FROM p) <= ${bind(r.query.limit)}
        ${r.orderBy} OFFSET ${WALK_BUDGET - 1} LIMIT 1
      ) book`;
  const sql = `WITH p AS MATERIALIZED (${page}), e AS MATERIALIZED (${end})
      SELECT p.*, e.* FROM (SELECT) one LEFT JOIN e ON true LEFT JOIN p ON true`;
  return { plan: 'walk', sql, params };
}
