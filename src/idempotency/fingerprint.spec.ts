import { canonicalJson, requestFingerprint } from './fingerprint';

describe('request fingerprint', () => {
  it('sorts object keys at every depth and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { y: 1, x: 2 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[3,{"x":2,"y":1}]},"b":1}',
    );
    expect(canonicalJson(['b', 'a'])).toBe('["b","a"]');
  });

  it('is the same for the same body with its keys in another order', () => {
    const first = requestFingerprint('POST', '/books', { title: 'T', author: 'A', isbn: '9780306406157' });
    const reordered = requestFingerprint('POST', '/books', { isbn: '9780306406157', author: 'A', title: 'T' });
    expect(reordered.equals(first)).toBe(true);
  });

  it('differs by method, path and any value', () => {
    const base = requestFingerprint('PATCH', '/books/1', { title: 'T' });
    expect(requestFingerprint('POST', '/books/1', { title: 'T' }).equals(base)).toBe(false);
    expect(requestFingerprint('PATCH', '/books/2', { title: 'T' }).equals(base)).toBe(false);
    expect(requestFingerprint('PATCH', '/books/1', { title: 'U' }).equals(base)).toBe(false);
    expect(requestFingerprint('PATCH', '/books/1', { title: 'T', pageCount: 1 }).equals(base)).toBe(false);
    expect(requestFingerprint('PATCH', '/books/1', undefined).equals(base)).toBe(false);
  });

  it('tells a string from the number it spells', () => {
    expect(
      requestFingerprint('POST', '/books', { n: 1 }).equals(requestFingerprint('POST', '/books', { n: '1' })),
    ).toBe(false);
  });
});
