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
import { ROUTE_POLICY, type RoutePolicy, scopeNeeded } from './route-policy';

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/**
 * The one access-control guard, denying by default: a route runs only if it declares a policy
 * (route-policy.ts) that the caller meets. A credential sent to any route is checked, so a bad
 * one is a 401 even where none was needed, and a good one names the caller (setPrincipal) for
 * rate limits and audit columns. Applied by configureApp unless AUTH_DISABLED.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly policies = new Map<object, RoutePolicy | null>();

  constructor(
    private readonly reflector: Reflector,
    @Inject(authConfig.KEY) private readonly config: Pick<AuthConfig, 'publicReads'>,
    private readonly tokens: JwtVerifier,
    @Optional() @Inject(API_KEY_VERIFIER) private readonly apiKeys?: CredentialVerifier,
    @Optional() private readonly failures?: CredentialFailures,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const policy = this.policyOf(context);
    if (!policy) {
      throw new ProblemException(PROBLEM_TYPES.forbidden, 'This route declares no access policy, so it is closed');
    }
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const principal = await this.authenticate(request);
    const scope = scopeNeeded(policy, this.config.publicReads);
    if (scope === undefined) return true;
    if (!principal) throw credentialRequired(scope);
    if (!principal.scopes.has(scope)) throw insufficientScope(scope);
    return true;
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
    setPrincipal(request, principal);
    setPrincipal(request.raw, principal);
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

  private policyOf(context: ExecutionContext): RoutePolicy | null {
    const handler = context.getHandler();
    let policy = this.policies.get(handler);
    if (policy === undefined) {
      policy =
        this.reflector.getAllAndOverride<RoutePolicy | undefined>(ROUTE_POLICY, [handler, context.getClass()]) ?? null;
      this.policies.set(handler, policy);
    }
    return policy;
  }
}
