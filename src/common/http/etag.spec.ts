import { etagOf, noneMatch, parseEntityTags } from './etag';

describe('etagOf', () => {
  it('is a strong, quoted version', () => {
    expect(etagOf({ version: 1 })).toBe('"1"');
    expect(etagOf({ version: 42 })).toBe('"42"');
  });
});

describe('parseEntityTags (If-Match)', () => {
  it('is undefined when the header is absent', () => {
    expect(parseEntityTags(undefined)).toBeUndefined();
  });

  it.each([
    ['"1"', [1]],
    ['  "7"  ', [7]],
    ['"1", "2","3"', [1, 2, 3]],
    ['"0"', [0]],
    ['"2147483647"', [2147483647]],
  ])('reads %j as the versions %j', (header, versions) => {
    expect(parseEntityTags(header)).toEqual(versions);
  });

  it.each(['*', ' * '])('reads %j as any version', (header) => {
    expect(parseEntityTags(header)).toBe('*');
  });

  it('joins repeated headers', () => {
    expect(parseEntityTags(['"1"', '"2"'])).toEqual([1, 2]);
  });

  it.each([
    ['W/"1"', 'a weak tag never matches under strong comparison'],
    ['1', 'an unquoted value'],
    ['"01"', 'a leading zero: not the tag this service wrote'],
    ['"-1"', 'a negative version'],
    ['"1.5"', 'a fraction'],
    ['"abc"', 'an opaque tag from elsewhere'],
    ['"2147483648"', 'beyond the integer version column'],
    ['"99999999999"', 'eleven digits'],
    ['', 'an empty header'],
    ['"1', 'an unterminated quote'],
  ])('matches nothing for %j (%s)', (header) => {
    expect(parseEntityTags(header)).toEqual([]);
  });

  it('keeps the valid tags of a mixed list', () => {
    expect(parseEntityTags('W/"1", "2", junk, "03", "4"')).toEqual([2, 4]);
    // "*" only means "any" on its own; inside a list it is one more unknown tag.
    expect(parseEntityTags('*, "1"')).toEqual([1]);
  });
});

describe('noneMatch (If-None-Match, weak comparison)', () => {
  const book = { version: 3 };

  it('is true without the header', () => {
    expect(noneMatch(undefined, book)).toBe(true);
  });

  it.each(['"3"', 'W/"3"', '"1", "3"', '"1",W/"3"', '*', ' * '])('is false (304) for %j', (header) => {
    expect(noneMatch(header, book)).toBe(false);
  });

  it.each(['"2"', 'W/"2"', '"33"', '3', '', '"03"'])('is true (200) for %j', (header) => {
    expect(noneMatch(header, book)).toBe(true);
  });

  it('joins repeated headers', () => {
    expect(noneMatch(['"1"', '"3"'], book)).toBe(false);
  });
});
