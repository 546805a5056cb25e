import {
  RANK_NORMALIZATION,
  SAMPLE_PAGES,
  SAMPLE_SLICES,
  SEARCH_CAP,
  SEARCH_CONFIG,
  WORDS_BUDGET,
} from './books-list.bounds';
import { BOOK_COLUMNS } from './book-sql';
import { type Bind, capped, type ListRequest, type ListStatement, RAW_COLUMNS } from './books-list.request';

/*
 * The SQL of the three `search` plans (books-list.plan.ts says which serves what). Each ranks up to
 * SEARCH_CAP + 1 candidates and pages them by (rank, id); they differ in where the candidates come
 * from. src/books/queries/*.sql hold what each builds for a fixed set of requests.
 */

/**
 * search-sample: the first matches found in SAMPLE_SLICES stretches of the heap, from both ends
 * inwards, fewer when they are not there, and none when the `expected` matches (the planner's) are
 * too few for it to hold SEARCH_RANKED. The stretches follow the table's size in pages (`blocks`),
 * and books created after the first page (`as_of`) are left out; a later page's cursor brings both
 * back, so every page ranks the same candidates.
 */
export function searchSampleStatement(r: ListRequest, expected?: number): ListStatement {
  const { params, bind } = r.fork();
  const tsquery = r.tsquery(bind);
  const rank = `ts_rank(book.search_vector, ${tsquery}, ${RANK_NORMALIZATION}) AS rank`;
  // The table's pages (the cursor's, on a later page), when the sample is expected to fill SEARCH_RANKED.
  const { sample } = r.cursor ?? {};
  const blocks = `coalesce(${bind(sample?.blocks ?? null, '::int')}, (pg_relation_size('books') / current_setting('block_size')::int)::int)`;
  const asOf = `coalesce(${bind(sample?.asOf ?? null, '::timestamptz')}, now())`;
  const fills = `${bind(expected ?? 0, '::float8')} * ${SAMPLE_SLICES * SAMPLE_PAGES} >= ${SEARCH_CAP + 1} * blocks`;
  const start = (n: string) => `${n} * greatest(t.blocks - ${SAMPLE_PAGES}, 0) / ${SAMPLE_SLICES - 1}`;
  // ts_match_vq is @@ as a function: no index serves it, so each stretch is read by its Tid Range Scan.
  const sampled = [`book.created_at <= t.as_of`, `ts_match_vq(book.search_vector, ${tsquery})`, ...r.filters];
  const end = `CASE WHEN s.n = ${SAMPLE_SLICES - 1} THEN t.blocks ELSE least(${start('s.n')} + ${SAMPLE_PAGES}, ${start('(s.n + 1)')}) END`;
  const candidates = `SELECT ${RAW_COLUMNS}, ${rank}, t.blocks::int,
            to_char(t.as_of AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS as_of FROM (
            SELECT blocks, as_of FROM (SELECT ${blocks}::bigint AS blocks, ${asOf} AS as_of OFFSET 0) size WHERE ${fills}
          ) t CROSS JOIN generate_series(0, ${SAMPLE_SLICES - 1}) AS k(i)
          CROSS JOIN LATERAL (SELECT CASE WHEN k.i % 2 = 0 THEN ${SAMPLE_SLICES - 1} - k.i / 2 ELSE k.i / 2 END AS n) s
          CROSS JOIN LATERAL (
            SELECT ${RAW_COLUMNS}, book.search_vector FROM books book
            WHERE book.ctid >= format('(%s,0)', ${start('s.n')})::tid AND book.ctid < format('(%s,0)', ${end})::tid
              AND ${sampled.join(' AND ')} LIMIT ${SEARCH_CAP + 1}
          ) book`;
  return rankedSearch(r, candidates, params, bind);
}

/**
 * search-index (search-bitmap runs the same under BITMAP_ONLY): the first matches the full-text
 * index yields (capped()). The `common` words are left out of the index condition and checked on
 * the rows (COMMON_WORD_RATIO).
 */
export function searchIndexStatement(r: ListRequest, common: string[] = []): ListStatement {
  const { params, bind } = r.fork();
  const tsquery = r.tsquery(bind);
  // Words left out of the index condition (COMMON_WORD_RATIO) are checked by ts_match_vq, which no index serves.
  const rarer = r.andWords.filter((word) => !common.includes(word));
  const matched = common.length
    ? [
        `book.search_vector @@ to_tsquery('${SEARCH_CONFIG}', ${bind(rarer.join(' & '))})`,
        `ts_match_vq(book.search_vector, ${tsquery})`,
      ]
    : [`book.search_vector @@ ${tsquery}`];
  const filters = [...matched, ...r.filters].join(' AND ');
  const rank = `ts_rank(book.search_vector, ${tsquery}, ${RANK_NORMALIZATION}) AS rank`;
  const candidates = `SELECT ${RAW_COLUMNS}, ${rank}, NULL::int AS blocks, NULL::text AS as_of FROM books book WHERE ${filters}`;
  return rankedSearch(r, candidates, params, bind);
}

/** Up to SEARCH_CAP + 1 of `candidates`, ranked, and the page of them. */
function rankedSearch(r: ListRequest, candidates: string, params: unknown[], bind: Bind): ListStatement {
  const sql = `WITH ${capped(candidates, SEARCH_CAP + 1)}
      ${rankedPage(r, 'SELECT count(*)::int AS total FROM m', bind)}`;
  return { plan: 'search', sql, params };
}

/**
 * The page of a search's ranked candidates (the CTE `m`) after the cursor, by (rank, id)
 * descending, beside the row `counted` (their count, and whatever else the statement reports).
 */
function rankedPage(r: ListRequest, counted: string, bind: Bind): string {
  const after = r.cursor
    ? `(book.rank, book.id) < (${bind(r.cursor.key, '::real')}, ${bind(r.cursor.id, '::uuid')})`
    : 'true';
  return `SELECT c.*, b.* FROM (${counted}) c LEFT JOIN LATERAL (
        SELECT ${BOOK_COLUMNS}, book.rank::text AS cursor_key, book.blocks, book.as_of FROM m book
        WHERE ${after} ORDER BY book.rank DESC, book.id DESC
        LIMIT ${bind(r.query.limit + 1)} OFFSET ${bind(r.offset())}
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
export function wordsStatement(r: ListRequest): ListStatement {
  const words = r.searchWords;
  const { params, bind } = r.fork();
  const tsquery = r.tsquery(bind);
  const text = bind(r.query.search);
  const asOf = `coalesce(${bind(r.cursor?.words?.asOf ?? null, '::timestamptz')}, now())`;
  const applies = `${tsquery} = plainto_tsquery('${SEARCH_CONFIG}', ${text})
      AND tsvector_to_array(to_tsvector('${SEARCH_CONFIG}', ${text})) @> ${bind(words, '::text[]')}
      AND tsvector_to_array(to_tsvector('${SEARCH_CONFIG}', ${text})) <@ ${bind(words, '::text[]')}`;
  const pinned = r.cursor?.words;
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
      ${rankedPage(
        r,
        `SELECT count(*)::int AS total, (SELECT applies FROM t) AS applies,
          (SELECT id::text FROM m ORDER BY id DESC LIMIT 1) AS last_id,
          CASE WHEN count(*) <= ${SEARCH_CAP} AND (SELECT applies FROM t) THEN ${cut} ELSE false END AS cut
        FROM m`,
        bind,
      )}`;
  return { plan: 'search', sql, params };
}
