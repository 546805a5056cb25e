import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** `bookapi_<16 hex: lookup id>_<43 base64url: 256 random bits>`; the prefix makes a leaked key greppable. */
const KEY_FORMAT = /^bookapi_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

export interface NewApiKey {
  id: string;
  /** The whole key, shown once and never stored. */
  key: string;
  hash: Buffer;
}

export function generateApiKey(): NewApiKey {
  const id = randomBytes(8).toString('hex');
  const key = `bookapi_${id}_${randomBytes(32).toString('base64url')}`;
  return { id, key, hash: hashApiKey(key) };
}

/** The lookup id of a well-formed key, else undefined (nothing is looked up for it). */
export function apiKeyIdOf(key: string): string | undefined {
  return KEY_FORMAT.exec(key)?.[1];
}

export function hashApiKey(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

/** Constant-time comparison of the presented key's hash with the stored one. */
export function apiKeyMatches(key: string, storedHash: Buffer): boolean {
  const hash = hashApiKey(key);
  return storedHash.length === hash.length && timingSafeEqual(hash, storedHash);
}
