import { HttpException } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import { DatabaseUnavailableError, WriteOutcomeUnknownError } from '../lib/database-unavailable.exception';
import { errorCode, isDataException, isTransientConnectionError, SqlState } from '../lib/postgres-error';
import { FieldError, ProblemDetailsDto, ProblemException } from './problem-details';
import { PROBLEM_TYPES, problemTypeOf, type ProblemType } from './problem-types';

/**
 * Pure mappings from what can be thrown to the problem+json answer; ProblemDetailsFilter only
 * picks one and sends it. Unit tests call these directly.
 */
export interface Problem {
  type: ProblemType;
  detail: string;
  errors?: FieldError[];
  headers?: Record<string, string>;
}

/** Seconds a client should wait before retrying while the database is unavailable. */
export const RETRY_AFTER_SECONDS = '2';

/** The only detail a 500 carries; the error itself goes to the log. */
export const INTERNAL_DETAIL = 'An unexpected error occurred; it has been logged';

/** Any thrown value, in the order the filter tries them; unknown errors are a bare 500. */
export function problemOf(exception: unknown, bodyLimitBytes?: number): Problem {
  if (exception instanceof ProblemException) return fromProblemException(exception);
  if (exception instanceof HttpException) return fromHttpException(exception, bodyLimitBytes);
  return (
    fromDatabaseError(exception) ??
    fromFastifyError(exception, bodyLimitBytes) ?? { type: PROBLEM_TYPES.internalError, detail: INTERNAL_DETAIL }
  );
}

export function fromProblemException(exception: ProblemException): Problem {
  const { type, detail, errors, headers } = exception;
  return { type, detail, errors, headers };
}

/** Nest's exceptions, including Fastify's body errors and terminus' failed checks that Nest wraps. */
export function fromHttpException(exception: HttpException, bodyLimitBytes?: number): Problem {
  const status = exception.getStatus();
  const message = httpExceptionDetail(exception.getResponse(), exception.message);
  const headers = status === 503 ? { 'Retry-After': RETRY_AFTER_SECONDS } : undefined;
  const detail =
    fastifyBodyErrorDetail(status, message, bodyLimitBytes) ??
    (status >= 500 && status !== 503 ? INTERNAL_DETAIL : message);
  return { type: problemTypeOf(status), detail, headers };
}

/** Lost connections and the SQLSTATEs a client can act on; undefined for anything else. */
export function fromDatabaseError(exception: unknown): Problem | undefined {
  if (exception instanceof WriteOutcomeUnknownError) {
    return unavailable(
      'The connection to the database was lost while committing: the change may or may not have been saved; read it back before retrying',
    );
  }
  if (exception instanceof DatabaseUnavailableError || isTransientConnectionError(exception)) {
    return unavailable('The database is unavailable; retry shortly');
  }
  if (!(exception instanceof QueryFailedError)) return undefined;
  const code = errorCode(exception);
  if (code === SqlState.uniqueViolation)
    return { type: PROBLEM_TYPES.conflict, detail: 'A unique value is already taken' };
  if (code === SqlState.serializationFailure || code === SqlState.deadlockDetected) {
    return unavailable('The request conflicted with concurrent changes; retry it');
  }
  if (code === SqlState.queryCanceled) return unavailable('The database did not answer in time; retry shortly');
  if (isDataException(exception)) {
    return { type: PROBLEM_TYPES.badRequest, detail: 'A value in the request is out of range or invalid for its type' };
  }
  return undefined;
}

/** Errors Fastify raises before a route runs, when they reach us unwrapped. */
export function fromFastifyError(exception: unknown, bodyLimitBytes?: number): Problem | undefined {
  const e = exception as { statusCode?: unknown; message?: unknown };
  if (typeof e?.statusCode !== 'number' || e.statusCode < 400 || e.statusCode >= 500) return undefined;
  const status = e.statusCode;
  const detail = fastifyBodyErrorDetail(status, String(e.message), bodyLimitBytes) ?? String(e.message);
  return { type: problemTypeOf(status), detail };
}

/** Our wording for Fastify's body errors; undefined for anything else. */
export function fastifyBodyErrorDetail(status: number, message: string, bodyLimitBytes?: number): string | undefined {
  if (status === 413) {
    return `The request body is larger than the limit${bodyLimitBytes ? ` of ${bodyLimitBytes} bytes` : ''}`;
  }
  if (status === 415) return 'Send the body as application/json';
  if (status === 400 && /^Body is not valid JSON/.test(message)) {
    // Fastify's parser refuses __proto__ and constructor.prototype keys with the same error.
    return 'The body is not valid JSON, or it holds a forbidden __proto__ or constructor.prototype key';
  }
  if (status === 400 && /^Body cannot be empty/.test(message)) {
    return 'The request declared JSON but sent an empty body';
  }
  return undefined;
}

/** Nest's `{ message }` bodies, and terminus' `{ error: { name: { status, ... } } }` health results. */
export function httpExceptionDetail(response: string | object, fallback: string): string {
  if (typeof response !== 'object' || !response) return typeof response === 'string' ? response : fallback;
  if ('message' in response) return ([] as unknown[]).concat(response.message).join('; ');
  const failing = (response as { error?: Record<string, Record<string, unknown>> }).error;
  if (failing && Object.keys(failing).length) {
    return (
      'Not ready: ' +
      Object.entries(failing)
        // The dependency and a one-word state; the driver's message stays in the log.
        .map(([name, info]) => `${name}: ${String(info.state ?? info.status)}`)
        .join(', ')
    );
  }
  return fallback;
}

export function unavailable(detail: string): Problem {
  return { type: PROBLEM_TYPES.serviceUnavailable, detail, headers: { 'Retry-After': RETRY_AFTER_SECONDS } };
}

/** The RFC 9457 body of a problem, for the request at `instance`. */
export function problemBody(problem: Problem, instance: string, requestId: string): ProblemDetailsDto {
  return {
    type: `/problems/${problem.type.slug}`,
    title: problem.type.title,
    status: problem.type.status,
    detail: problem.detail,
    instance,
    requestId,
    ...(problem.errors ? { errors: problem.errors } : {}),
  };
}
