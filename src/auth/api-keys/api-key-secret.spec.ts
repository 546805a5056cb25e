import { createHash } from 'node:crypto';
import { apiKeyIdOf, apiKeyMatches, generateApiKey, hashApiKey } from './api-key-secret';

describe('API key secrets', () => {
  it('a new key embeds its lookup id and carries 256 random bits; only its SHA-256 is returned for storage', () => {
    const { id, key, hash } = generateApiKey();
    expect(key).toMatch(/^bookapi_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(apiKeyIdOf(key)).toBe(id);
    expect(hash.equals(createHash('sha256').update(key).digest())).toBe(true);
    expect(generateApiKey().key).not.toBe(key);
  });

  it('matches only the exact key', () => {
    const { key, hash } = generateApiKey();
    expect(apiKeyMatches(key, hash)).toBe(true);
    expect(apiKeyMatches(key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A'), hash)).toBe(false);
    expect(apiKeyMatches(key, hashApiKey('other'))).toBe(false);
    expect(apiKeyMatches(key, Buffer.alloc(3))).toBe(false);
  });

  it('finds no lookup id in a malformed key', () => {
    for (const bad of [
      '',
      'bookapi_',
      `bookapi_0123456789ABCDEF_${'a'.repeat(43)}`,
      `bookapi_0123456789abcdef_${'a'.repeat(42)}`,
    ]) {
      expect(apiKeyIdOf(bad)).toBeUndefined();
    }
  });
});
