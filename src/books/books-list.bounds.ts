import { SEARCH_RANKED } from './dto/list-books-query.dto';

/**
 * The bounds each plan of GET /books keeps to (books-list.plan.ts says which plan serves what;
 * docs/decisions/0010-list-unfiltered.md and 0011-list-sparse-plan.md the first three).
 */
export const SPARSE_ESTIMATE = 1_000;
export const MATCH_CAP = 2_000;
export const WALK_BUDGET = 2_000;
/** A `search` ranks at most this many matches plus one (SEARCH_RANKED); more make the total estimated. */
export const SEARCH_CAP = SEARCH_RANKED - 1;
/**
 * An index entry the planner expects in this many rows has a posting list that costs more to read
 * than a walk of WALK_BUDGET rows (a GIN bitmap reads it whole). So a `search` expected to match
 * this many first looks for SEARCH_RANKED matches in a sample of the table (SAMPLE_SLICES), and a
 * `q` of several words one of which matches this many (and more than an unknown word would) walks:
 * a trigram bitmap reads the postings of every trigram of every word, however rare the phrase
 * (docs/decisions/0012-list-walk-plan.md).
 */
export const LONG_POSTINGS = 5_000;
/**
 * A common word's sample: SAMPLE_SLICES stretches of SAMPLE_PAGES heap pages, spread evenly over the
 * table from its first page to its last, read from both ends inwards (newest first) by Tid Range
 * Scans. A common word fills SEARCH_RANKED from the sample when its books are spread out, the
 * newest or the oldest (a run of them elsewhere holds one or two stretches); the bitmap it spares
 * reads the word's whole posting list and, for a spread word, a heap page per match. A word the
 * planner expects in too few books to fill it skips it (docs/decisions/0015-search-sample.md).
 */
export const SAMPLE_SLICES = 50;
export const SAMPLE_PAGES = 8;
/**
 * A `search` of 2 to MAX_MERGED_WORDS words, all common (the planner expects LONG_POSTINGS books
 * with them all), takes its candidates from book_words (words()): each word's entries in book_id
 * order, WORDS_BUDGET of each at most, merged. Words that avoid each other would read every entry:
 * the budget stops that, and the request falls back to the full-text index
 * (docs/decisions/0016-search-words-table.md).
 */
export const WORDS_BUDGET = 25_000;
export const MAX_MERGED_WORDS = 3;
/**
 * A `search` of plain words read through the full-text index leaves out of the index condition a
 * word the planner expects in LONG_POSTINGS books and COMMON_WORD_RATIO times as many as its rarest
 * word, and checks it on the rows instead (searchIndexStatement's `common`): the GIN AND would look
 * up every entry of the rarer words in that word's posting tree (`the`, `of`, or a word in half the
 * titles), while the rows the rarer words give have it often enough that few are read in vain
 * (docs/decisions/0017-search-common-words.md).
 */
export const COMMON_WORD_RATIO = 10;
export const MAX_AND_WORDS = 8;
/** ts_rank divided by 1 + log(words): of two titles with the words, the shorter ranks first. */
export const RANK_NORMALIZATION = 1;
/** `search` uses this text-search configuration (why `simple`: migration BookSearchVector). */
export const SEARCH_CONFIG = 'simple';

/** Session settings under which the planner can only read an index through a bitmap. */
export const BITMAP_ONLY = `SELECT set_config('enable_seqscan', 'off', true), set_config('enable_indexscan', 'off', true), set_config('enable_indexonlyscan', 'off', true)`;
