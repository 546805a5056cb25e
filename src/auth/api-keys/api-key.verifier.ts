import { Logger } from '@nestjs/common';
import { AuthUnavailableError, type CredentialVerifier, InvalidCredentialError } from '../credentials';
import type { Principal } from '../principal';
import { apiKeyIdOf, apiKeyMatches } from './api-key-secret';
import type { ApiKeyRecord, ApiKeyStore } from './api-key.store';

/** Keys remembered at once; past it the oldest entry goes, so a flood of made-up ids cannot grow memory. */
const MAX_CACHED_KEYS = 10_000;
/** last_used_at is written at most this often per key and instance, not once per request. */
export const LAST_USED_EVERY_MS = 60_000;

interface CachedKey {
  /** undefined: no key has this id. */
  record?: ApiKeyRecord;
  principal?: Principal;
  fetchedAt: number;
  /** When this instance last recorded a use (or saw one recorded). */
  usedAt: number;
}

/**
 * X-API-Key: the key's lookup id finds its row, the key's SHA-256 is compared in constant time,
 * then expiry and revocation are checked. Rows are cached for `cacheMs`, so a key revoked in the
 * database is refused by every instance within that time; expiry is checked on every request.
 */
export class ApiKeyVerifier implements CredentialVerifier {
  private readonly logger = new Logger('ApiKeys');
  private readonly cache = new Map<string, CachedKey>();
  private readonly loading = new Map<string, Promise<CachedKey>>();

  constructor(
    private readonly store: ApiKeyStore,
    private readonly cacheMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async verify(credential: string): Promise<Principal> {
    const id = apiKeyIdOf(credential);
    if (id === undefined) throw new InvalidCredentialError('The API key is malformed');
    const entry = await this.entryOf(id);
    const { record, principal } = entry;
    if (!record || !principal || !apiKeyMatches(credential, record.secretHash)) {
      throw new InvalidCredentialError('The API key is unknown');
    }
    if (record.revokedAt) throw new InvalidCredentialError('The API key has been revoked');
    const now = this.now();
    if (record.expiresAt && record.expiresAt.getTime() <= now) {
      throw new InvalidCredentialError('The API key has expired');
    }
    if (now - entry.usedAt >= LAST_USED_EVERY_MS) {
      entry.usedAt = now;
      this.store.touch(id, LAST_USED_EVERY_MS).catch((error: Error) => {
        this.logger.debug(`Could not record the use of API key ${record.name}: ${error.message}`);
      });
    }
    return principal;
  }

  /** Forgets every cached key (tests, and the development key when it is replaced). */
  clear(): void {
    this.cache.clear();
  }

  private async entryOf(id: string): Promise<CachedKey> {
    const cached = this.cache.get(id);
    if (cached && this.now() - cached.fetchedAt < this.cacheMs) return cached;
    let pending = this.loading.get(id);
    if (!pending) {
      pending = this.load(id, cached).finally(() => this.loading.delete(id));
      this.loading.set(id, pending);
    }
    return pending;
  }

  private async load(id: string, previous: CachedKey | undefined): Promise<CachedKey> {
    let record: ApiKeyRecord | undefined;
    try {
      record = await this.store.findById(id);
    } catch (error) {
      throw new AuthUnavailableError('API keys cannot be checked: the database is unavailable', { cause: error });
    }
    const lastUsed = record?.lastUsedAt?.getTime() ?? 0;
    const entry: CachedKey = {
      record,
      principal: record && {
        id: `key:${record.id}`,
        name: record.name,
        kind: 'api-key',
        scopes: new Set(record.scopes),
      },
      fetchedAt: this.now(),
      usedAt: Math.max(previous?.usedAt ?? 0, lastUsed),
    };
    this.cache.delete(id);
    this.cache.set(id, entry);
    if (this.cache.size > MAX_CACHED_KEYS) this.cache.delete(this.cache.keys().next().value!);
    return entry;
  }
}
