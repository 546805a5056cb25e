import type { Principal } from './principal';

interface Entry {
  principal: Principal;
  expiresAt: number;
}

/**
 * Verified tokens by hash until they expire, at most `capacity` of them: when full, the entry
 * inserted first goes (a Map keeps insertion order), so a flood of new tokens cannot grow the heap.
 */
export class TokenCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly capacity: number) {}

  get(key: string): Principal | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt > Date.now()) return entry.principal;
    this.entries.delete(key);
    return undefined;
  }

  set(key: string, principal: Principal, expiresAt: number): void {
    if (this.capacity === 0 || expiresAt <= Date.now()) return;
    if (this.entries.size >= this.capacity) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(key, { principal, expiresAt });
  }

  get size(): number {
    return this.entries.size;
  }
}
