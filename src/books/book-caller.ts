import { principalOf } from '../auth/principal';

/**
 * What createdBy/updatedBy record for a request: its principal's name (set on Fastify's request or
 * its raw one), or null with no principal (AUTH_DISABLED).
 */
export function callerName(request: { raw?: object }): string | null {
  return (principalOf(request) ?? (request.raw && principalOf(request.raw)))?.name ?? null;
}
