import { createLocalJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { AuthConfig } from '../config/auth.config';
import { AuthUnavailableError, type CredentialVerifier, InvalidCredentialError } from './credentials';
import { IssuerKeys } from './issuer-keys';
import type { Principal } from './principal';
import { TokenCache } from './token-cache';

/** RFC 9068 access tokens, and the plain JWTs most providers issue (no typ, or typ JWT). */
const ACCEPTED_TYP = new Set(['at+jwt', 'application/at+jwt', 'jwt']);

/**
 * Bearer JWTs checked with jose against the issuer's published keys: an explicit list of
 * asymmetric algorithms, iss, aud, exp and nbf with a small tolerance. A verified token is
 * remembered until it expires (token-cache.ts), so a client reusing its token pays for one check.
 */
export class JwtVerifier implements CredentialVerifier {
  readonly keys: IssuerKeys;
  private keyLookup?: JWTVerifyGetKey;
  private readonly cache: TokenCache;

  constructor(private readonly config: AuthConfig) {
    this.keys = new IssuerKeys(config);
    this.keys.onKeys = (published) => {
      this.keyLookup = createLocalJWKSet(published);
    };
    this.cache = new TokenCache(config.tokenCacheSize);
  }

  /** The caller of an already verified, unexpired token; undefined means "call verify". */
  cached(token: string): Principal | undefined {
    return this.cache.get(token);
  }

  async verify(token: string): Promise<Principal> {
    const known = this.cache.get(token);
    if (known) return known;
    const { issuer, audience } = this.config;
    if (!issuer || !audience) {
      throw new InvalidCredentialError('This service accepts no bearer tokens (no token issuer is configured)');
    }
    if (!this.keyLookup) {
      this.keys.retrySoon();
      throw new AuthUnavailableError(
        `The token issuer has not been reached yet, so tokens cannot be checked; retry shortly`,
      );
    }
    const payload = await this.check(token, issuer, audience);
    const principal = principalOf(payload, issuer);
    this.cache.set(token, principal, (payload.exp as number) * 1000);
    return principal;
  }

  private async check(token: string, issuer: string, audience: string): Promise<JWTPayload> {
    const options = {
      issuer,
      audience,
      algorithms: this.config.algorithms,
      clockTolerance: this.config.clockToleranceSec,
      requiredClaims: ['exp'],
    };
    try {
      const { payload, protectedHeader } = await this.verifyWithRefetch(token, options);
      if (protectedHeader.typ !== undefined && !ACCEPTED_TYP.has(protectedHeader.typ.toLowerCase())) {
        throw new InvalidCredentialError(`A token of type "${protectedHeader.typ}" is not an access token`);
      }
      return payload;
    } catch (error) {
      throw error instanceof InvalidCredentialError ? error : new InvalidCredentialError(reasonOf(error));
    }
  }

  /** An unknown kid fetches the JWKS again once (within its cooldown) before the token is refused. */
  private async verifyWithRefetch(token: string, options: Parameters<typeof jwtVerify>[2]) {
    try {
      return await jwtVerify(token, this.keyLookup as JWTVerifyGetKey, options);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey) || !(await this.keys.refetchForUnknownKey())) throw error;
      return jwtVerify(token, this.keyLookup as JWTVerifyGetKey, options);
    }
  }
}

function principalOf(payload: JWTPayload, issuer: string): Principal {
  const subject = payload.sub ?? (typeof payload.client_id === 'string' ? payload.client_id : undefined);
  if (!subject) throw new InvalidCredentialError('The token names no subject (sub or client_id)');
  return { id: `token:${issuer} ${subject}`, name: subject, kind: 'token', scopes: scopesOf(payload) };
}

/** `scope` is space-separated (RFC 8693, RFC 9068); Entra ID and others send `scp`, a string or a list. */
export function scopesOf(payload: JWTPayload): ReadonlySet<string> {
  const claim = typeof payload.scope === 'string' ? payload.scope : payload.scp;
  if (typeof claim === 'string') return new Set(claim.split(' ').filter(Boolean));
  if (Array.isArray(claim)) return new Set(claim.filter((s): s is string => typeof s === 'string'));
  return new Set();
}

/** Why a token was refused, in words that name no claim value and no part of the token. */
function reasonOf(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'The token has expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    return error.claim === 'nbf'
      ? 'The token is not valid yet'
      : `The token's ${error.claim} claim is not accepted here`;
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return "The token's signing algorithm is not accepted";
  if (error instanceof errors.JWKSNoMatchingKey) return 'The token was signed with a key the issuer does not publish';
  if (error instanceof errors.JWSSignatureVerificationFailed) return "The token's signature does not verify";
  return 'The token is malformed';
}
