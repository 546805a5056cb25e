import { describeError } from '../lib/describe-error';
import type { AuthConfig } from '../config/auth.config';

/** A JSON Web Key Set as the issuer publishes it. */
export interface PublishedKeys {
  keys: Record<string, unknown>[];
}

/** What readiness says about the issuer, in words an operator can act on. */
export type IssuerStatus =
  { state: 'not configured' } | { state: 'up'; lastFailure?: string } | { state: 'never reached'; reason: string };

const FIRST_RETRY_MS = 500;
const LONGEST_RETRY_MS = 30_000;

/**
 * The issuer's signing keys, found through OpenID discovery and fetched again in the background,
 * on an unknown `kid` (at most once per cooldown), and never dropped on a failed fetch: while the
 * issuer is down, the keys it last published keep verifying.
 */
export class IssuerKeys {
  private keys?: PublishedKeys;
  private jwksUri?: string;
  /** The issuer's token endpoint, for the OpenAPI client-credentials flow. */
  tokenEndpoint?: string;
  private lastFailure?: string;
  private lastFetchAt = 0;
  private inFlight?: Promise<boolean>;
  private timer?: NodeJS.Timeout;
  private retryMs = FIRST_RETRY_MS;
  private stopped = false;
  /** Called with each new key set, so the verifier rebuilds its key lookup once. */
  onKeys?: (keys: PublishedKeys) => void;

  constructor(
    private readonly config: Pick<AuthConfig, 'issuer' | 'jwksCooldownMs' | 'jwksRefreshMs' | 'issuerTimeoutMs'>,
  ) {}

  get published(): PublishedKeys | undefined {
    return this.keys;
  }

  status(): IssuerStatus {
    if (!this.config.issuer) return { state: 'not configured' };
    if (this.keys) return { state: 'up', lastFailure: this.lastFailure };
    return { state: 'never reached', reason: this.lastFailure ?? 'discovery has not finished yet' };
  }

  /** Starts discovery now and keeps the keys fresh until stop(); never throws. */
  start(): void {
    if (!this.config.issuer) return;
    void this.fetchAndSchedule();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** A token named a key we do not hold: fetch the JWKS again unless one was fetched within the cooldown. */
  async refetchForUnknownKey(): Promise<boolean> {
    if (this.inFlight) return this.inFlight;
    if (Date.now() - this.lastFetchAt < this.config.jwksCooldownMs) return false;
    return this.fetch();
  }

  /** Before the issuer was ever reached, a request asks for an early retry (never waits for it). */
  retrySoon(): void {
    if (!this.keys && !this.inFlight && Date.now() - this.lastFetchAt >= FIRST_RETRY_MS) void this.fetch();
  }

  private async fetchAndSchedule(): Promise<void> {
    const ok = await this.fetch();
    if (this.stopped) return;
    const delay = ok ? this.config.jwksRefreshMs : this.retryMs;
    this.retryMs = ok ? FIRST_RETRY_MS : Math.min(this.retryMs * 2, LONGEST_RETRY_MS);
    this.timer = setTimeout(() => void this.fetchAndSchedule(), delay);
    this.timer.unref();
  }

  /** One fetch at a time; resolves true when a key set was loaded. */
  private fetch(): Promise<boolean> {
    this.inFlight ??= this.load()
      .then(
        (keys) => {
          this.keys = keys;
          this.lastFailure = undefined;
          this.onKeys?.(keys);
          return true;
        },
        (error: unknown) => {
          this.lastFailure = describeError(error);
          return false;
        },
      )
      .finally(() => {
        this.lastFetchAt = Date.now();
        this.inFlight = undefined;
      });
    return this.inFlight;
  }

  private async load(): Promise<PublishedKeys> {
    const issuer = this.config.issuer as string;
    if (!this.jwksUri) {
      const discoveryUrl = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
      const metadata = await this.getJson(discoveryUrl, 'discovery');
      if (metadata.issuer !== issuer) {
        throw new Error(`${discoveryUrl} names the issuer "${String(metadata.issuer)}", not AUTH_ISSUER "${issuer}"`);
      }
      if (typeof metadata.jwks_uri !== 'string') throw new Error(`${discoveryUrl} has no jwks_uri`);
      this.jwksUri = metadata.jwks_uri;
      if (typeof metadata.token_endpoint === 'string') this.tokenEndpoint = metadata.token_endpoint;
    }
    const jwks = await this.getJson(this.jwksUri, 'JWKS');
    if (!Array.isArray(jwks.keys)) throw new Error(`${this.jwksUri} is not a JWK set (no "keys" array)`);
    return { keys: jwks.keys as Record<string, unknown>[] };
  }

  private async getJson(url: string, what: string): Promise<Record<string, unknown>> {
    let response: Response;
    try {
      response = await fetch(url, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(this.config.issuerTimeoutMs),
        redirect: 'error',
      });
    } catch (error) {
      const cause = (error as { cause?: unknown }).cause;
      throw new Error(`${what} request to ${url} failed: ${describeError(cause ?? error)}`);
    }
    if (!response.ok) throw new Error(`${what} request to ${url} answered HTTP ${response.status}`);
    const body: unknown = await response.json().catch(() => undefined);
    if (typeof body !== 'object' || body === null) throw new Error(`${what} document at ${url} is not a JSON object`);
    return body as Record<string, unknown>;
  }
}
