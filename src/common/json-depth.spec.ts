import { MAX_JSON_DEPTH, nestsDeeperThan } from './json-depth';

describe('nestsDeeperThan', () => {
  it('counts arrays and objects, not brackets inside strings', () => {
    expect(nestsDeeperThan('{"books":[{"title":"x"}]}', 3)).toBe(false);
    expect(nestsDeeperThan('{"books":[{"title":"x"}]}', 2)).toBe(true);
    expect(nestsDeeperThan(JSON.stringify({ title: '[[[[{{{{' + '\\"[[[' }), 1)).toBe(false);
    expect(nestsDeeperThan('[[],[],[[]]]', 3)).toBe(false);
    expect(nestsDeeperThan('[[],[],[[[]]]]', 3)).toBe(true);
  });

  it('finds 20,000 levels in 40 KB without recursing', () => {
    const deep = '['.repeat(20_000) + ']'.repeat(20_000);
    expect(deep.length).toBe(40_000);
    expect(nestsDeeperThan(deep, MAX_JSON_DEPTH)).toBe(true);
  });
});
