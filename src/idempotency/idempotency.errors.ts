import { ProblemException } from '../common/problem-details';
import { PROBLEM_TYPES } from '../common/problem-types';
import { invalidKey } from './idempotency-key';

/** Seconds a retry should wait while the first request under its key is still running. */
export const IN_FLIGHT_RETRY_AFTER_SECONDS = '1';

export function keyRequired(): ProblemException {
  return invalidKey('Send an Idempotency-Key header with every POST (IDEMPOTENCY_KEY_REQUIRED is on)');
}

export function keyInFlight(): ProblemException {
  return new ProblemException(
    PROBLEM_TYPES.idempotencyKeyInFlight,
    'A request with this Idempotency-Key is still in progress; retry after Retry-After seconds to get its answer',
    undefined,
    { 'Retry-After': IN_FLIGHT_RETRY_AFTER_SECONDS },
  );
}

export function keyReused(): ProblemException {
  return new ProblemException(
    PROBLEM_TYPES.idempotencyKeyReused,
    'This Idempotency-Key was already used for a different request (method, path or body); use a new key',
  );
}
