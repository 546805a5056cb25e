import type { BookCursor } from './book-cursor';
import { COMMON_WORD_RATIO, LONG_POSTINGS, MATCH_CAP, SPARSE_ESTIMATE } from './books-list.bounds';
import {
  choosePlans,
  commonWords,
  needsEstimates,
  type PlanNode,
  readEstimates,
  withoutWords,
} from './books-list.plan';
import { ListStatements } from './books-list.statements';
import { ListBooksQueryDto } from './dto/list-books-query.dto';

const ID = '0f5b8c1e-2d3a-4b6c-8e9f-a1b2c3d4e5f6';
const request = (query: Partial<ListBooksQueryDto>, cursor?: BookCursor) =>
  new ListStatements(Object.assign(new ListBooksQueryDto(), query), cursor);

/** EXPLAIN (FORMAT JSON)'s top node for the estimate statement: an Append of one branch per estimate. */
const explained = (...branches: number[]): PlanNode =>
  branches.length === 1
    ? { 'Node Type': 'Seq Scan', 'Plan Rows': branches[0] }
    : {
        'Node Type': 'Append',
        'Plan Rows': branches.reduce((sum, rows) => sum + rows, 0),
        Plans: branches.map((rows) => ({ 'Node Type': 'Bitmap Heap Scan', 'Plan Rows': rows })),
      };

/** The plans for a request whose estimate statement EXPLAINs as `plan`. */
const plans = (query: Partial<ListBooksQueryDto>, plan?: PlanNode, cursor?: BookCursor) => {
  const statements = request(query, cursor);
  return choosePlans(statements, cursor, plan && readEstimates(statements, plan));
};

describe('choosePlans: the decision table at the top of books-list.plan.ts, from canned EXPLAIN estimates', () => {
  it('serves a request without filter or search from all, and asks for no estimate', () => {
    expect(needsEstimates(request({ sort: 'title' }))).toBe(false);
    expect(plans({ sort: 'title' })).toEqual(['all']);
  });

  it(`serves filters expected to match ${SPARSE_ESTIMATE} books or fewer from sparse, walking past ${MATCH_CAP}`, () => {
    expect(needsEstimates(request({ author: 'Anonymous' }))).toBe(true);
    expect(plans({ author: 'Anonymous' }, explained(SPARSE_ESTIMATE))).toEqual(['sparse', 'walk']);
    expect(plans({ author: 'Anonymous' }, explained(SPARSE_ESTIMATE + 1))).toEqual(['walk']);
  });

  it(`walks for a q of several words when one of them is in ${LONG_POSTINGS}+ books`, () => {
    // matches, then silent, harbor, needle, then a word the statistics do not know.
    expect(plans({ q: 'silent harbor needle' }, explained(30, 300, 200, 50, 100))).toEqual(['sparse', 'walk']);
    expect(plans({ q: 'silent harbor needle' }, explained(30, LONG_POSTINGS, 200, 50, 100))).toEqual(['walk']);
  });

  it('counts a q word that the planner estimates no higher than an unknown word as rare', () => {
    const statements = request({ q: 'silent harbor' });
    expect(readEstimates(statements, explained(30, 100, 7000, 7000)).words).toEqual([0, 0]);
    expect(readEstimates(statements, explained(30, 100, 7000, 50)).words).toEqual([100, 7000]);
  });

  it('walks when the estimate comes back as one plan, not one branch per word (a parallel plan)', () => {
    const gathered: PlanNode = { 'Node Type': 'Gather', 'Plan Rows': 30, Plans: [explained(30, 1, 1)] };
    expect(plans({ q: 'silent harbor' }, gathered)).toEqual(['walk']);
  });

  it(`searches the index for a search expected to match fewer than ${LONG_POSTINGS}`, () => {
    expect(needsEstimates(request({ search: 'winter' }))).toBe(true);
    expect(plans({ search: 'winter' }, explained(LONG_POSTINGS - 1))).toEqual(['search-index']);
  });

  it('searches the index for a word expected no more often than a word the statistics do not know', () => {
    // matches, then a word no book has: the planner's default, not a count.
    expect(plans({ search: 'needle' }, explained(LONG_POSTINGS, LONG_POSTINGS))).toEqual(['search-index']);
    expect(plans({ search: 'needle' }, explained(2 * LONG_POSTINGS, LONG_POSTINGS))).toEqual([
      'search-sample',
      'search-bitmap',
    ]);
  });

  it('reads the unknown word of a search last, after the q words', () => {
    // matches, then silent, harbor, an unknown prefix (q), then an unknown word (search).
    const estimates = readEstimates(
      request({ q: 'silent harbor', search: 'needle' }),
      explained(30, 100, 7000, 50, 60),
    );
    expect(estimates).toEqual({ matches: 30, words: [100, 7000], wordEstimates: [], unknownWord: 60, rows: 0 });
    // A plain-AND search has its words' estimates instead, then the table's rows.
    expect(readEstimates(request({ search: 'halfway silent' }), explained(9, 500, 26, 1000))).toEqual({
      matches: 9,
      words: [],
      wordEstimates: [500, 26],
      unknownWord: 0,
      rows: 1000,
    });
  });

  it(`samples a search expected to match ${LONG_POSTINGS}+, then reads the index under BITMAP_ONLY`, () => {
    expect(plans({ search: 'winter' }, explained(LONG_POSTINGS))).toEqual(['search-sample', 'search-bitmap']);
    expect(plans({ search: 'winter', author: 'Anonymous' }, explained(50_000))).toEqual([
      'search-sample',
      'search-bitmap',
    ]);
  });

  it('merges the book_words of two or three common words first, unless the cursor came from a sample', () => {
    // matches, then halfway, silent, then the table's rows.
    const estimates = explained(9_000, 500_000, 26_000, 1_000_000);
    expect(plans({ search: 'Halfway Silent' }, estimates)).toEqual(['words', 'search-sample', 'search-bitmap']);
    const sampled: BookCursor = {
      sort: 'relevance',
      order: 'desc',
      key: '0.06',
      id: ID,
      sample: { blocks: 9, asOf: '' },
    };
    expect(plans({ search: 'Halfway Silent', cursor: 'c' }, estimates, sampled)).toEqual([
      'search-sample',
      'search-bitmap',
    ]);
  });

  it('stays with book_words on a page whose cursor came from them, whatever the estimate', () => {
    const words: BookCursor = { sort: 'relevance', order: 'desc', key: '0.06', id: ID, words: { asOf: '', last: ID } };
    expect(plans({ search: 'Halfway Silent', cursor: 'c' }, explained(40, 90, 60, 1_000_000), words)).toEqual([
      'words',
      'search-index',
    ]);
  });

  it('merges no book_words for one word, four words, other filters, or words the planner finds rare', () => {
    expect(plans({ search: 'the lord of rings' }, explained(9_000, 9, 9, 9, 9, 99))).not.toContain('words');
    expect(plans({ search: 'halfway silent', author: 'A' }, explained(9_000, 9, 9, 99))).not.toContain('words');
    expect(plans({ search: 'halfway silent' }, explained(LONG_POSTINGS - 1, 9, 9, 99))).toEqual(['search-index']);
  });

  it(`reads the index under BITMAP_ONLY when its words but the common ones are in ${LONG_POSTINGS}+ books`, () => {
    // matches, then halfway, silent, everywhere, then the table's rows: silent and everywhere in
    // 1,040 books, or in 5,200 where the table is five times as large.
    const search = { search: 'halfway silent everywhere' };
    expect(plans(search, explained(520, 500_000, 26_000, 40_000, 1_000_000))).toEqual(['search-index']);
    expect(plans(search, explained(520, 500_000, 26_000, 40_000, 5_000_000))).toEqual(['search-bitmap']);
    // No word common: the index condition is the search's, as expected.
    expect(plans(search, explained(300, 50_000, 26_000, 40_000, 1_000_000))).toEqual(['search-index']);
    // The words not told apart (a parallel plan): nothing is left out of the condition.
    const gathered: PlanNode = { 'Node Type': 'Gather', 'Plan Rows': 300, Plans: [explained(300, 1, 1, 1, 1)] };
    expect(plans(search, gathered)).toEqual(['search-index']);
  });

  it('estimates the matches without some words by dividing their shares of the table back out', () => {
    const estimates = readEstimates(
      request({ search: 'the lord of rings' }),
      explained(2, 600_000, 900, 300_000, 1_200, 1e6),
    );
    expect(withoutWords(estimates, ['the', 'lord', 'of', 'rings'], ['the', 'of'])).toBeCloseTo(11.11, 2);
    expect(withoutWords(estimates, ['the', 'lord', 'of', 'rings'], [])).toBe(2);
    expect(withoutWords({ ...estimates, rows: 0 }, ['the', 'lord', 'of', 'rings'], ['the'])).toBe(Infinity);
  });
});

describe('commonWords: the words of a search checked on the rows instead of in the index', () => {
  const words = ['halfway', 'silent', 'everywhere'];

  it(`leaves out a word in ${LONG_POSTINGS}+ books and ${COMMON_WORD_RATIO}x the rarest's`, () => {
    expect(commonWords(words, [500_000, 26_000, 40_000])).toEqual(['halfway']);
    expect(commonWords(['the', 'lord', 'of', 'rings'], [600_000, 900, 300_000, 1_200])).toEqual(['the', 'of']);
  });

  it('keeps words of a similar count, rare words, and always the rarest', () => {
    expect(commonWords(['tailwind', 'headwind'], [40_000, 40_000])).toEqual([]);
    expect(commonWords(['needle', 'quill'], [4_000, 100])).toEqual([]);
    expect(commonWords(['halfway', 'odd'], [500_000, 500_000])).toEqual([]);
  });

  it('leaves out nothing without one estimate per word (a plan the estimate could not split)', () => {
    expect(commonWords(words, [])).toEqual([]);
  });
});

describe('ListStatements.andWords: the searches whose words are estimated and merged one by one', () => {
  const andWords = (search: string) => new ListStatements(Object.assign(new ListBooksQueryDto(), { search })).andWords;

  it('plain ASCII words, lower-cased and distinct', () => {
    expect(andWords('Halfway  silent Everywhere halfway')).toEqual(['halfway', 'silent', 'everywhere']);
    expect(andWords('agent 007')).toEqual(['agent', '007']);
  });

  it('not one word, nor websearch syntax, nor letters whose parsing depends on the locale', () => {
    for (const search of [
      'Halfway',
      'winter or summer',
      '"winter cathedral"',
      'winter -cathedral',
      'Müller Halfway',
      'a\u00a0b',
    ]) {
      expect(andWords(search)).toEqual([]);
    }
  });
});
