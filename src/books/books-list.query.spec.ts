import { commonWords } from './books-list.query';
import { COMMON_WORD_RATIO, ListStatements, LONG_POSTINGS } from './books-list.statements';
import { ListBooksQueryDto } from './dto/list-books-query.dto';

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
