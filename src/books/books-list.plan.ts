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
 * | search                               | matches >= LONG_POSTINGS                    | search-sample | SEARCH_CAP or fewer     |
 * |                                      |                                             |               | found: search-bitmap    |
 * | search                               | matches < LONG_POSTINGS, no common word     | search-index  |                         |
 * | search                               | otherwise (many matches, or a common word)  | search-bitmap |                         |
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
}

/** The plans to try for a request, in order: each but the last may decline, and the next runs. */
export function choosePlans(request: ListRequest, cursor: BookCursor | undefined, estimates?: Estimates): PlanName[] {
  if (request.query.search !== undefined) {
    const { matches } = estimates!;
    const plans: PlanName[] = [];
    if (request.searchWords.length && (cursor?.words || (!cursor?.sample && matches >= LONG_POSTINGS))) {
      plans.push('words');
    }
    if (matches >= LONG_POSTINGS) plans.push('search-sample');
    const common = commonWords(request.andWords, estimates!.wordEstimates);
    plans.push(matches < LONG_POSTINGS && !common.length ? 'search-index' : 'search-bitmap');
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
 * `search` (andWords). Should the planner not answer with one branch per statement (a parallel
 * plan), the q words count as common (the walk is the plan whose cost is bounded) and the search
 * words are not told apart.
 */
export function readEstimates(request: ListRequest, plan: PlanNode): Estimates {
  const words = request.qWords.length;
  const andWords = request.andWords.length;
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
