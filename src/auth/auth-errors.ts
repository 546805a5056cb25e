import { ProblemException } from '../common/problem-details';
import { RETRY_AFTER_SECONDS } from '../common/problem-mapping';
import { PROBLEM_TYPES } from '../common/problem-types';

/** The realm named in every WWW-Authenticate challenge (RFC 6750). */
export const AUTH_REALM = 'bookapi';

/** No credential where one is needed: a bare challenge, no error code (RFC 6750 section 3.1). */
export function credentialRequired(scope: string): ProblemException {
  return new ProblemException(
    PROBLEM_TYPES.unauthorized,
    `This request needs a bearer token or an API key granting ${scope}`,
    undefined,
    { 'WWW-Authenticate': `Bearer realm="${AUTH_REALM}", scope="${scope}"` },
  );
}

/** The credential is malformed, unknown, expired, revoked or forged: 401 even on a public route. */
export function invalidToken(detail: string): ProblemException {
  return new ProblemException(PROBLEM_TYPES.unauthorized, detail, undefined, {
    'WWW-Authenticate': `Bearer realm="${AUTH_REALM}", error="invalid_token", error_description="${quoted(detail)}"`,
  });
}

/** Two credentials at once, or a scheme this service does not speak. */
export function invalidRequest(detail: string): ProblemException {
  return new ProblemException(PROBLEM_TYPES.badRequest, detail, undefined, {
    'WWW-Authenticate': `Bearer realm="${AUTH_REALM}", error="invalid_request", error_description="${quoted(detail)}"`,
  });
}

/** A valid credential without the scope the route needs. */
export function insufficientScope(scope: string): ProblemException {
  return new ProblemException(PROBLEM_TYPES.forbidden, `This request needs the scope ${scope}`, undefined, {
    'WWW-Authenticate': `Bearer realm="${AUTH_REALM}", error="insufficient_scope", scope="${scope}"`,
  });
}

/** The credential cannot be checked right now (issuer never reached, key store down). */
export function authUnavailable(detail: string): ProblemException {
  return new ProblemException(PROBLEM_TYPES.authUnavailable, detail, undefined, { 'Retry-After': RETRY_AFTER_SECONDS });
}

/** error_description allows printable ASCII without `"` and `\`. */
function quoted(text: string): string {
  return text.replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, '');
}
