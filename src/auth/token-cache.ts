import type { Principal } from './principal';

interface Entry {
  token: string;
  principal: Principal;
  expiresAt: number;
}

/**
 * A token's last characters, which in a JWT belong to its signature: a key short enough that V8
 * hashes it at a fraction of the cost of the whole token, and distinct for any two signed tokens.
 */
const KEY_LENGTH = 32;

/**
 * Verified tokens until they expire, at most `capacity` of them: when full, the entry inserted
 * first goes (a Map keeps insertion order), so a flood of new tokens cannot grow the heap. An entry
 * keeps the whole token and answers only a token equal to it, so a token that differs in any
 * character (a payload changed under the same signature) is a miss and gets verified. Neither a
 * digest nor the whole token as the key: both cost more per request than the rest of access
 * control, see docs/decisions/0024-token-cache-key.md.
 */
export class TokenCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly capacity: number) {}

  get(token: string): Principal | undefined {
    const key = token.slice(-KEY_LENGTH);
    const entry = this.entries.get(key);
    if (!entry || entry.token !== token) return undefined;
    if (entry.expiresAt > Date.now()) return entry.principal;
    this.entries.delete(key);
    return undefined;
  }

  set(token: string, principal: Principal, expiresAt: number): void {
    if (this.capacity === 0 || expiresAt <= Date.now()) return;
    if (this.entries.size >= this.capacity) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(token.slice(-KEY_LENGTH), { token, principal, expiresAt });
  }

  get size(): number {
    return this.entries.size;
  }
}
