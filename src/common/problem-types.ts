import { HttpStatus } from '@nestjs/common';

/** One kind of problem: the `type` is `/problems/<slug>`. */
export interface ProblemType {
  readonly slug: string;
  readonly title: string;
  readonly status: number;
}

/**
 * The catalogue of problem types: the filter, the OpenAPI response decorators, the shutdown
 * refusal and every ProblemException take their slug, title and status from here.
 */
export const PROBLEM_TYPES = {
  badRequest: { slug: 'bad-request', title: 'Bad Request', status: 400 },
  validationError: { slug: 'validation-error', title: 'Bad Request', status: 400 },
  invalidIdempotencyKey: { slug: 'invalid-idempotency-key', title: 'Bad Request', status: 400 },
  unauthorized: { slug: 'unauthorized', title: 'Unauthorized', status: 401 },
  forbidden: { slug: 'forbidden', title: 'Forbidden', status: 403 },
  notFound: { slug: 'not-found', title: 'Not Found', status: 404 },
  methodNotAllowed: { slug: 'method-not-allowed', title: 'Method Not Allowed', status: 405 },
  conflict: { slug: 'conflict', title: 'Conflict', status: 409 },
  idempotencyKeyInFlight: { slug: 'idempotency-key-in-flight', title: 'Conflict', status: 409 },
  preconditionFailed: { slug: 'precondition-failed', title: 'Precondition Failed', status: 412 },
  payloadTooLarge: { slug: 'payload-too-large', title: 'Content Too Large', status: 413 },
  unsupportedMediaType: { slug: 'unsupported-media-type', title: 'Unsupported Media Type', status: 415 },
  idempotencyKeyReused: { slug: 'idempotency-key-reused', title: 'Unprocessable Content', status: 422 },
  preconditionRequired: { slug: 'precondition-required', title: 'Precondition Required', status: 428 },
  tooManyRequests: { slug: 'too-many-requests', title: 'Too Many Requests', status: 429 },
  internalError: { slug: 'internal-error', title: 'Internal Server Error', status: 500 },
  serviceUnavailable: { slug: 'service-unavailable', title: 'Service Unavailable', status: 503 },
  authUnavailable: { slug: 'auth-unavailable', title: 'Service Unavailable', status: 503 },
} as const satisfies Record<string, ProblemType>;

/** Types that name one cause; a bare status never maps to them. */
const SPECIFIC = new Set<ProblemType>([
  PROBLEM_TYPES.validationError,
  PROBLEM_TYPES.invalidIdempotencyKey,
  PROBLEM_TYPES.idempotencyKeyInFlight,
  PROBLEM_TYPES.idempotencyKeyReused,
  PROBLEM_TYPES.authUnavailable,
]);

/** The generic type of an HTTP status (400 is `bad-request`; validation has its own type). */
const BY_STATUS = new Map<number, ProblemType>(
  Object.values(PROBLEM_TYPES)
    .filter((type) => !SPECIFIC.has(type))
    .map((type) => [type.status, type]),
);

/** The catalogue's type for a status, or `http-<status>` titled from the status name. */
export function problemTypeOf(status: number): ProblemType {
  return BY_STATUS.get(status) ?? { slug: `http-${status}`, title: statusTitle(status), status };
}

function statusTitle(status: number): string {
  const name = HttpStatus[status];
  if (!name) return 'Error';
  return name
    .toLowerCase()
    .split('_')
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join(' ');
}
