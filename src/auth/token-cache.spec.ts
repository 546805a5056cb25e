import type { Principal } from './principal';
import { TokenCache } from './token-cache';

const caller = (name: string): Principal => ({ id: `token:x ${name}`, name, kind: 'token', scopes: new Set() });

describe('TokenCache', () => {
  it('answers a token until it expires, then forgets it', () => {
    const cache = new TokenCache(10);
    cache.set('live', caller('a'), Date.now() + 60_000);
    cache.set('expired', caller('b'), Date.now() - 1);
    expect(cache.get('live')?.name).toBe('a');
    expect(cache.get('expired')).toBeUndefined();
    expect(cache.size).toBe(1);
  });

  it('answers only the exact token: a changed payload under the same signature is a miss', () => {
    const cache = new TokenCache(10);
    const signature = 'c2lnbmF0dXJlIG9mIHRoZSBoZWFkZXIgYW5kIHRoZSBwYXlsb2Fk';
    const token = `eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.${signature}`;
    cache.set(token, caller('a'), Date.now() + 60_000);
    expect(cache.get(token.split('.').join('.'))?.name).toBe('a');
    expect(cache.get(`eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJiIn0.${signature}`)).toBeUndefined();
    expect(cache.get(`.${signature}`)).toBeUndefined();
    expect(cache.get(signature)).toBeUndefined();
    expect(cache.get(token.slice(0, -1))).toBeUndefined();
    expect(cache.size).toBe(1);
  });

  it('holds at most its capacity, dropping the oldest entry first', () => {
    const cache = new TokenCache(2);
    for (const name of ['a', 'b', 'c']) cache.set(name, caller(name), Date.now() + 60_000);
    expect(cache.size).toBe(2);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('c')?.name).toBe('c');
  });

  it('remembers nothing with capacity 0', () => {
    const cache = new TokenCache(0);
    cache.set('a', caller('a'), Date.now() + 60_000);
    expect(cache.get('a')).toBeUndefined();
  });
});
