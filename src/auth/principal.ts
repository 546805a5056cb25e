/** Who made a request. Access control sets it; rate limits, idempotency keys and audit columns read it. */
export interface Principal {
  /** Stable and unique per caller: `token:<iss> <sub or client_id>` or `key:<api key id>`. */
  readonly id: string;
  /** What `createdBy`/`updatedBy` record: the token's subject (or client id), or the API key's name. */
  readonly name: string;
  readonly kind: 'token' | 'api-key';
  readonly scopes: ReadonlySet<string>;
}

/** The one scope shared by requests that carry no credential (idempotency keys, audit columns). */
export const ANONYMOUS_SCOPE = 'anonymous';

interface WithPrincipal {
  principal?: Principal;
}

/** The request's caller, if it presented a valid credential. Works on Fastify's request or its raw one. */
export function principalOf(request: object): Principal | undefined {
  return (request as WithPrincipal).principal;
}

export function setPrincipal(request: object, principal: Principal): void {
  (request as WithPrincipal).principal = principal;
}

/** The scope idempotency keys and other per-caller records are kept under. */
export function callerScope(request: object): string {
  return principalOf(request)?.id ?? ANONYMOUS_SCOPE;
}
