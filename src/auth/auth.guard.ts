import { type CanActivate, type ExecutionContext, Inject, Injectable, Optional } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { authConfig, type AuthConfig } from '../config/auth.config';
import { PROBLEM_TYPES } from '../common/problem-types';
import { ProblemException } from '../common/problem-details';
import { authUnavailable, credentialRequired, insufficientScope, invalidRequest, invalidToken } from './auth-errors';
import { CredentialFailures } from './credential-failures';
import { API_KEY_VERIFIER, AuthUnavailableError, type CredentialVerifier, InvalidCredentialError } from './credentials';
import { JwtVerifier } from './jwt-verifier';
import { setPrincipal, type Principal } from './principal';
import { ROUTE_POLICY, type RoutePolicy, type Scope, scopeNeeded } from './route-policy';

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;
/** How nearly every client writes the header; anything else goes through BEARER. */
const BEARER_PREFIX = 'Bearer ';

/**
 * The one access-control guard, denying by default: a route runs only if it declares a policy
 * (route-policy.ts) that the caller meets. A credential sent to any route is checked, so a bad
 * one is a 401 even where none was needed, and a good one names the caller (setPrincipal) for
 * rate limits and audit columns. Applied by configureApp unless AUTH_DISABLED.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  /** Per handler: the scope it needs (undefined: none), or null when it declares no policy. */
  private readonly needs = new Map<object, { scope: Scope | undefined } | null>();

  constructor(
    private readonly reflector: Reflector,
    @Inject(authConfig.KEY) private readonly config: Pick<AuthConfig, 'publicReads'>,
    private readonly tokens: JwtVerifier,
    @Optional() @Inject(API_KEY_VERIFIER) private readonly apiKeys?: CredentialVerifier,
    @Optional() private readonly failures?: CredentialFailures,
  ) {}

  /**
   * Synchronous when the request carries no credential or a bearer token already verified, which
   * is nearly every request: Nest awaits a guard's answer only when it is a promise.
   */
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const need = this.needOf(context);
    if (!need) {
      throw new ProblemException(PROBLEM_TYPES.forbidden, 'This route declares no access policy, so it is closed');
    }
    const { scope } = need;
    // getArgByIndex, not switchToHttp(), which reshapes the context object on every call.
    const request = context.getArgByIndex<FastifyRequest>(0);
    const { authorization, 'x-api-key': apiKey } = request.headers;
    if (authorization === undefined && apiKey === undefined) return allowed(scope, undefined);
    if (apiKey === undefined && authorization !== undefined && authorization.startsWith(BEARER_PREFIX)) {
      // Only verified tokens are cached, and a JWT is base64url and dots: on a hit the header matches BEARER.
      const known = this.tokens.cached(authorization.slice(BEARER_PREFIX.length));
      if (known) {
        this.failures?.refuseIfBlocked(request.ip);
        identify(request, known);
        return allowed(scope, known);
      }
    }
    return this.authenticate(request).then((principal) => allowed(scope, principal));
  }

  /** The caller named by the request's credential; undefined when it carries none. */
  private async authenticate(request: FastifyRequest): Promise<Principal | undefined> {
    const authorization = request.headers.authorization;
    const apiKey = request.headers['x-api-key'];
    if (authorization === undefined && apiKey === undefined) return undefined;
    if (authorization !== undefined && apiKey !== undefined) {
      throw invalidRequest('Send one credential: either Authorization: Bearer or X-API-Key, not both');
    }
    this.failures?.refuseIfBlocked(request.ip);
    let principal: Principal;
    try {
      principal = authorization !== undefined ? await this.bearer(authorization) : await this.apiKey(String(apiKey));
    } catch (error) {
      // A guess costs its sender: past the budget of failures, 429 instead of 401.
      if (error instanceof ProblemException && error.status === 401) await this.failures?.record(request.ip);
      throw error;
    }
    identify(request, principal);
    return principal;
  }

  private async bearer(authorization: string): Promise<Principal> {
    const token = BEARER.exec(authorization)?.[1];
    if (!token) throw invalidToken('The Authorization header must be "Bearer <token>"');
    return this.tokens.cached(token) ?? (await this.check(this.tokens, token));
  }

  private async apiKey(key: string): Promise<Principal> {
    if (!this.apiKeys) throw invalidToken('This service accepts no API keys');
    return this.check(this.apiKeys, key);
  }

  /** Maps the verifiers' two failures to 401 and 503; the credential never appears in the answer. */
  private async check(verifier: CredentialVerifier, credential: string): Promise<Principal> {
    try {
      return await verifier.verify(credential);
    } catch (error) {
      const message = error instanceof Error ? error.message.split(credential).join('***') : '';
      if (error instanceof InvalidCredentialError) throw invalidToken(message);
      if (error instanceof AuthUnavailableError) throw authUnavailable(message);
      throw error;
    }
  }

  private needOf(context: ExecutionContext): { scope: Scope | undefined } | null {
    const handler = context.getHandler();
    let need = this.needs.get(handler);
    if (need === undefined) {
      const policy = this.reflector.getAllAndOverride<RoutePolicy | undefined>(ROUTE_POLICY, [
        handler,
        context.getClass(),
      ]);
      need = policy ? { scope: scopeNeeded(policy, this.config.publicReads) } : null;
      this.needs.set(handler, need);
    }
    return need;
  }
}

/** Whether a caller (undefined: no credential) may use a route that needs `scope`. */
function allowed(scope: Scope | undefined, principal: Principal | undefined): boolean {
  if (scope === undefined) return true;
  if (!principal) throw credentialRequired(scope);
  if (!principal.scopes.has(scope)) throw insufficientScope(scope);
  return true;
}

/** Readers look on Fastify's request, then on the raw one (book-caller.ts, idempotency). */
function identify(request: FastifyRequest, principal: Principal): void {
  setPrincipal(request, principal);
  setPrincipal(request.raw, principal);
}
