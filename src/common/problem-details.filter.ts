import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  HttpStatus,
  Inject,
  Logger,
  Optional,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { QueryFailedError } from 'typeorm';
import { appConfig, type AppConfig } from '../config/app.config';
import { DatabaseUnavailableError } from '../lib/database-unavailable.exception';
import { errorCode, isTransientConnectionError, SqlState } from '../lib/postgres-error';
import { ProblemDetailsDto, PROBLEM_CONTENT_TYPE, ProblemException } from './problem-details';
import { describeError } from '../lib/describe-error';

/** Seconds a client should wait before retrying while the database is unavailable. */
const RETRY_AFTER_SECONDS = '2';

/** The only detail a 500 carries; the error itself goes to the log. */
const INTERNAL = 'An unexpected error occurred; it has been logged';

const SLUG_BY_STATUS: Record<number, string> = {
  400: 'bad-request',
  404: 'not-found',
  405: 'method-not-allowed',
  409: 'conflict',
  412: 'precondition-failed',
  413: 'payload-too-large',
  415: 'unsupported-media-type',
  428: 'precondition-required',
  429: 'too-many-requests',
  500: 'internal-error',
  503: 'service-unavailable',
};

interface Problem {
  status: number;
  slug: string;
  detail: string;
  errors?: ProblemDetailsDto['errors'];
  headers?: Record<string, string>;
}

/**
 * Every error becomes RFC 9457 problem+json. Infrastructure faults and PostgreSQL SQLSTATEs
 * are mapped here; a 500 says nothing about internals, and the full error goes to the log.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  constructor(@Optional() @Inject(appConfig.KEY) private readonly config?: Pick<AppConfig, 'bodyLimitBytes'>) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const problem = this.toProblem(exception);
    if (problem.status >= 500 && problem.status !== 503) {
      this.logger.error(
        `${request.method} ${request.url} failed (request ${request.id})`,
        exception instanceof Error ? exception.stack : String(exception),
      );
    } else if (problem.status === 503) {
      this.logger.warn(`${request.method} ${request.url}: ${describeError(exception)} (request ${request.id})`);
    }
    const body: ProblemDetailsDto = {
      type: `/problems/${problem.slug}`,
      title: statusTitle(problem.status),
      status: problem.status,
      detail: problem.detail,
      instance: request.url,
      requestId: String(request.id),
      ...(problem.errors ? { errors: problem.errors } : {}),
    };
    if (reply.sent) return;
    void reply
      .status(problem.status)
      .headers(problem.headers ?? {})
      .type(PROBLEM_CONTENT_TYPE)
      .send(body);
  }

  private toProblem(exception: unknown): Problem {
    if (exception instanceof ProblemException) {
      return {
        status: exception.status,
        slug: exception.slug,
        detail: exception.detail,
        errors: exception.errors,
        headers: exception.headers,
      };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const response = exception.getResponse();
      const message = httpExceptionDetail(response, exception.message);
      const headers = status === 503 ? { 'Retry-After': RETRY_AFTER_SECONDS } : undefined;
      // Nest turns Fastify's body errors into HttpExceptions carrying Fastify's wording.
      const detail = this.clientErrorDetail(status, message) ?? (status >= 500 && status !== 503 ? INTERNAL : message);
      return { status, slug: SLUG_BY_STATUS[status] ?? `http-${status}`, detail, headers };
    }
    if (exception instanceof DatabaseUnavailableError || isTransientConnectionError(exception)) {
      return unavailable('The database is unavailable; retry shortly');
    }
    const code = errorCode(exception);
    if (exception instanceof QueryFailedError) {
      if (code === SqlState.uniqueViolation)
        return { status: 409, slug: 'conflict', detail: 'A unique value is already taken' };
      if (code === SqlState.serializationFailure || code === SqlState.deadlockDetected) {
        return unavailable('The request conflicted with concurrent changes; retry it');
      }
      if (code === SqlState.queryCanceled) return unavailable('The database did not answer in time; retry shortly');
    }
    const fastify = this.fastifyClientError(exception);
    if (fastify) return fastify;
    return { status: 500, slug: 'internal-error', detail: INTERNAL };
  }

  /** Errors Fastify raises before a route runs, when they reach us unwrapped. */
  private fastifyClientError(exception: unknown): Problem | undefined {
    const e = exception as { statusCode?: unknown; message?: unknown };
    if (typeof e?.statusCode !== 'number' || e.statusCode < 400 || e.statusCode >= 500) return undefined;
    const status = e.statusCode;
    const detail = this.clientErrorDetail(status, String(e.message)) ?? String(e.message);
    return { status, slug: SLUG_BY_STATUS[status] ?? `http-${status}`, detail };
  }

  /** Our wording for the body errors of Fastify; undefined for anything else. */
  private clientErrorDetail(status: number, message: string): string | undefined {
    if (status === 413) {
      const limit = this.config?.bodyLimitBytes;
      return `The request body is larger than the limit${limit ? ` of ${limit} bytes` : ''}`;
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
}

/** Nest's `{ message }` bodies, and terminus' `{ error: { name: { status, ... } } }` health results. */
function httpExceptionDetail(response: string | object, fallback: string): string {
  if (typeof response !== 'object' || !response) return typeof response === 'string' ? response : fallback;
  if ('message' in response) return ([] as unknown[]).concat(response.message).join('; ');
  const failing = (response as { error?: Record<string, Record<string, unknown>> }).error;
  if (failing && Object.keys(failing).length) {
    return (
      'Not ready: ' +
      Object.entries(failing)
        .map(
          ([name, info]) =>
            `${name} ${String(info.status)}${info.message || info.state ? ` (${String(info.message ?? info.state)})` : ''}`,
        )
        .join(', ')
    );
  }
  return fallback;
}

function unavailable(detail: string): Problem {
  return { status: 503, slug: 'service-unavailable', detail, headers: { 'Retry-After': RETRY_AFTER_SECONDS } };
}

function statusTitle(status: number): string {
  const name = HttpStatus[status];
  if (!name) return 'Error';
  return name
    .toLowerCase()
    .split('_')
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join(' ')
    .replace('Payload Too Large', 'Content Too Large');
}
