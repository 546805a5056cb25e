import { SetMetadata } from '@nestjs/common';

/** The scopes this service knows; a token or key grants some of them. */
export const SCOPES = {
  read: 'books:read',
  write: 'books:write',
  delete: 'books:delete',
} as const;
export type Scope = (typeof SCOPES)[keyof typeof SCOPES];

/**
 * What a route asks of its caller. `public`: nothing. `read`: nothing while AUTH_PUBLIC_READS
 * (the default), else books:read. `scope`: a credential granting that scope. A route without
 * a policy is refused at startup and by the guard.
 */
export type RoutePolicy = { kind: 'public' } | { kind: 'read' } | { kind: 'scope'; scope: Scope };

export const ROUTE_POLICY = 'bookapi:route-policy';

/** Open to anyone (health probes). A credential sent anyway is still checked. */
export const Public = () => SetMetadata(ROUTE_POLICY, { kind: 'public' } satisfies RoutePolicy);

/** A read: public unless AUTH_PUBLIC_READS=false, then books:read. */
export const ReadAccess = () => SetMetadata(ROUTE_POLICY, { kind: 'read' } satisfies RoutePolicy);

/** Needs a credential that grants `scope`. */
export const RequiresScope = (scope: Scope) =>
  SetMetadata(ROUTE_POLICY, { kind: 'scope', scope } satisfies RoutePolicy);

/** The scope a policy needs under the given configuration; undefined when none is needed. */
export function scopeNeeded(policy: RoutePolicy, publicReads: boolean): Scope | undefined {
  if (policy.kind === 'scope') return policy.scope;
  if (policy.kind === 'read' && !publicReads) return SCOPES.read;
  return undefined;
}
