import type { BookCursor } from './book-cursor';
import { COMMON_WORD_RATIO, LONG_POSTINGS, SPARSE_ESTIMATE } from './books-list.bounds';
import type { ListRequest } from './books-list.request';

/*
 * GET /books: which plan serves a request. Each plan's cost is bounded whatever the data looks
 * like; the estimates are the planner's (one EXPLAIN of books-list.statements.ts's estimate(), no
 * row read). The evidence behind each bound is in docs/decisions/ (the list and search records).
 *
 * | request                              | estimates                                   | plan          | when it declines, next  |
 * |--------------------------------------|---------------------------------------------|---------------|-------------------------|
 * | no filter, no search                 | (none asked)                                | all           |                         |
 * | filters (q, author, isbn, years)     | matches <= SPARSE_ESTIMATE and no word of a | sparse        | more than MATCH_CAP     |
 * |                                      | several-word q in LONG_POSTINGS books       |               | matches: walk           |
 * | filters                              | otherwise                                   | walk          |                         |
 * | search of 2 to MAX_MERGED_WORDS      | a words cursor; or no sample cursor and     | words         | not read as those words |
 * | plain words, and no filter           | matches >= LONG_POSTINGS                    |               | ANDed, or a first page  |
 * |                                      |                                             |               | cut by WORDS_BUDGET:    |
 * |                                      |                                             |               | the rows below          |
 * | search                               | matches >= LONG_POSTINGS, and more than     | search-sample | SEARCH_CAP or fewer     |
 * |                                      | for a word the statistics do not know       |               | found: search-bitmap    |
 * | search                               | not so many, and no common word, or not so  | search-index  |                         |
 * |                                      | many without the common words               |               |                         |
 * | search                               | otherwise                                   | search-bitmap |                         |
 *
 * all, walk, search-index and search-bitmap always serve. A total is exact up to the plan's cap
 * (EXACT_TOTAL_CAP, MATCH_CAP, SEARCH_CAP), and the planner's estimate beyond it. A common word
 * (commonWords) is checked on the rows rather than in the full-text index; search-bitmap is
 * search-index under BITMAP_ONLY.
 */
export type PlanName = 'all' | 'sparse' | 'walk' | 'words' | 'search-sample' | 'search-index' | 'search-bitmap';

/** What EXPLAIN of the estimate statement says. */
export interface Estimates {
  /** The matches of the filters, or of the search with them. */
  matches: number;
  /** Per word of a several-word `q` (qWords): its books, or 0 where no more than an unknown word's. */
  words: number[];
  /** Per word of a plain-AND `search` (andWords): its books; none when the branches could not be told apart. */
  wordEstimates: number[];
  /** For any other `search`: what the planner says for a word its statistics do not know; else 0. */
  unknownWord: number;
  /** For a plain-AND `search`: the table's rows, of which wordEstimates are shares; else 0. */
  rows: number;
}

/** The plans to try for a request, in order: each but the last may decline, and the next runs. */
export function choosePlans(request: ListRequest, cursor: BookCursor | undefined, estimates?: Estimates): PlanName[] {
  if (request.query.search !== undefined) {
    const { matches, unknownWord } = estimates!;
    // The planner's figure for a word it does not know is a default, not a count: such a word is rarer
    // than every word its statistics keep (docs/decisions/0015-search-sample.md).
    const many = matches >= LONG_POSTINGS && matches > unknownWord;
    const plans: PlanName[] = [];
    if (request.searchWords.length && (cursor?.words || (!cursor?.sample && many))) {
      plans.push('words');
    }
    if (many) plans.push('search-sample');
    const common = commonWords(request.andWords, estimates!.wordEstimates);
    // Left out of the index condition, common words may make it match enough books for a table scan
    // to look cheaper than the index: only then is the plan not left to the estimates
    // (docs/decisions/0017-search-common-words.md).
    const few = !common.length || withoutWords(estimates!, request.andWords, common) < LONG_POSTINGS;
    plans.push(!many && few ? 'search-index' : 'search-bitmap');
    return plans;
  }
  if (!request.filters.length) return ['all'];
  const { matches, words } = estimates!;
  return matches <= SPARSE_ESTIMATE && !words.some((word) => word >= LONG_POSTINGS) ? ['sparse', 'walk'] : ['walk'];
}

/** Whether a request needs the planner's estimates to choose (all does not). */
export function needsEstimates(request: ListRequest): boolean {
  return request.query.search !== undefined || request.filters.length > 0;
}

/** A node of EXPLAIN (FORMAT JSON). */
export interface PlanNode {
  'Node Type': string;
  'Plan Rows': number;
  Plans?: PlanNode[];
}

/**
 * The estimates in EXPLAIN's plan of the estimate statement: one Append branch for the matches,
 * then one per q word and one for an unknown word (qWords), then one per word of a plain-AND
 * `search` (andWords) and one for the table's rows, or for any other `search` one for an unknown
 * word. Should the planner not answer with one branch per statement (a parallel plan), the q words
 * count as common (the walk is the plan whose cost is bounded), the search words are not told
 * apart, and no unknown word's estimate is known.
 */
export function readEstimates(request: ListRequest, plan: PlanNode): Estimates {
  const words = request.qWords.length;
  const andWords = request.andWords.length;
  const unknownSearch = request.query.search !== undefined && !andWords ? 1 : 0;
  const branches = 1 + (words ? words + 1 : 0) + (andWords ? andWords + 1 : 0) + unknownSearch;
  const none = { words: [], wordEstimates: [], unknownWord: 0, rows: 0 };
  if (branches === 1) return { ...none, matches: plan['Plan Rows'] };
  if (plan['Node Type'] !== 'Append' || plan.Plans?.length !== branches) {
    return { ...none, matches: plan['Plan Rows'], words: words ? [Infinity] : [] };
  }
  const [matches, ...each] = plan.Plans.map((branch) => branch['Plan Rows']);
  const unknownWord = unknownSearch ? each.pop()! : 0;
  const rows = andWords ? each.pop()! : 0;
  const wordEstimates = each.splice(each.length - andWords);
  if (!words) return { matches, words: [], wordEstimates, unknownWord, rows };
  const unknown = each.pop()!;
  return { matches, words: each.map((n) => (n > unknown ? n : 0)), wordEstimates, unknownWord, rows };
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

/**
 * The planner's estimate of the matches with `left` out of the search's `words`: it multiplies the
 * words' shares of the table, so each left-out word's share is divided back out.
 */
export function withoutWords(estimates: Estimates, words: string[], left: string[]): number {
  const { matches, wordEstimates, rows } = estimates;
  if (!rows || wordEstimates.length !== words.length) return Infinity;
  return words.reduce((n, word, i) => (left.includes(word) ? (n * rows) / Math.max(wordEstimates[i], 1) : n), matches);
}
