import type { Principal } from './principal';

/**
 * Turns one presented credential into its caller. The global guard (auth-jwt) owns the bearer
 * verifier and asks the API-key verifier, provided under API_KEY_VERIFIER (auth-keys), for X-API-Key.
 */
export interface CredentialVerifier {
  /** Resolves the caller, or rejects with InvalidCredentialError or AuthUnavailableError. */
  verify(credential: string): Promise<Principal>;
}

export const API_KEY_VERIFIER = Symbol('API_KEY_VERIFIER');

/** The credential is unknown, malformed, expired, revoked or forged: a 401 with error="invalid_token". */
export class InvalidCredentialError extends Error {
  override readonly name = 'InvalidCredentialError';
}

/** The credential cannot be checked now (issuer never reached, key store down): a 503, not a 401. */
export class AuthUnavailableError extends Error {
  override readonly name = 'AuthUnavailableError';
}
