import { registerAs } from '@nestjs/config';
import { EnvReader } from './env-parsers';

/** Signature algorithms a token may use: asymmetric only, so neither `none` nor an HMAC keyed with a public key passes. */
export const ASYMMETRIC_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const;

export interface AuthConfig {
  /** Every route open to anyone, credentials ignored; the service warns at every start. */
  disabled: boolean;
  /** GET routes need no credential; when false they need books:read. */
  publicReads: boolean;
  /** The OpenID issuer whose JWKS (found through discovery) signs bearer tokens; unset accepts none. Kept as written: `iss` must equal it. */
  issuer?: string;
  /** The `aud` a token must carry; required with an issuer. */
  audience?: string;
  algorithms: string[];
  /** Leeway for exp and nbf between our clock and the issuer's (seconds). */
  clockToleranceSec: number;
  /** Least time between two JWKS fetches caused by an unknown `kid`. */
  jwksCooldownMs: number;
  /** How often the JWKS is fetched again in the background; on failure the cached keys stay. */
  jwksRefreshMs: number;
  /** Time allowed for one request to the issuer (discovery or JWKS). */
  issuerTimeoutMs: number;
  /** Verified tokens remembered until they expire, at most this many. */
  tokenCacheSize: number;
  /** Invalid credentials a client address may send per THROTTLE_TTL_MS before its credentials get 429; 0: no limit. */
  failureLimit: number;
}

export function buildAuthConfig(env: Record<string, string | undefined>): AuthConfig {
  const read = new EnvReader(env);
  const config: AuthConfig = {
    disabled: read.bool('AUTH_DISABLED', false),
    publicReads: read.bool('AUTH_PUBLIC_READS', true),
    issuer: issuerUrl(read),
    audience: read.string('AUTH_AUDIENCE'),
    algorithms: algorithms(read),
    clockToleranceSec: read.int('AUTH_CLOCK_TOLERANCE_S', 30, 0, 300),
    jwksCooldownMs: read.int('AUTH_JWKS_COOLDOWN_MS', 30_000, 0, 3_600_000),
    jwksRefreshMs: read.int('AUTH_JWKS_REFRESH_MS', 600_000, 1000, 86_400_000),
    issuerTimeoutMs: read.int('AUTH_ISSUER_TIMEOUT_MS', 5000, 100, 60_000),
    tokenCacheSize: read.int('AUTH_TOKEN_CACHE_SIZE', 10_000, 0, 1_000_000),
    failureLimit: read.int('AUTH_FAILURE_LIMIT', 30, 0, 1_000_000),
  };
  if (config.issuer && !config.audience) {
    read.problem(
      'AUTH_AUDIENCE must be set with AUTH_ISSUER (the aud your tokens carry, e.g. https://bookapi.example.com)',
    );
  }
  read.done();
  return config;
}

export const authConfig = registerAs('auth', () => buildAuthConfig(process.env));

function issuerUrl(read: EnvReader): string | undefined {
  const value = read.string('AUTH_ISSUER');
  if (!value) return undefined;
  try {
    const url = new URL(value);
    if ((url.protocol === 'https:' || url.protocol === 'http:') && !url.search && !url.hash) return value;
  } catch {
    // Reported below.
  }
  read.problem(
    `AUTH_ISSUER must be the issuer's http(s) URL, e.g. https://login.example.com/realms/books (got "${value}")`,
  );
  return undefined;
}

function algorithms(read: EnvReader): string[] {
  const value = read.string('AUTH_ALGORITHMS');
  if (!value) return [...ASYMMETRIC_ALGORITHMS];
  const listed = value
    .split(',')
    .map((alg) => alg.trim())
    .filter(Boolean);
  const refused = listed.filter((alg) => !(ASYMMETRIC_ALGORITHMS as readonly string[]).includes(alg));
  if (refused.length > 0 || listed.length === 0) {
    read.problem(
      `AUTH_ALGORITHMS must list asymmetric algorithms from ${ASYMMETRIC_ALGORITHMS.join(', ')} (refused: ${refused.join(', ') || 'none listed'})`,
    );
  }
  return listed;
}
