import { ArgumentsHost, Catch, ExceptionFilter, Inject, Logger, Optional } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { appConfig, type AppConfig } from '../config/app.config';
import { databaseOutage } from '../lib/database-outage';
import { DatabaseUnavailableError } from '../lib/database-unavailable.exception';
import { describeError } from '../lib/describe-error';
import { isTransientConnectionError } from '../lib/postgres-error';
import { PROBLEM_CONTENT_TYPE } from './problem-details';
import { problemBody, problemOf } from './problem-mapping';
import { redactCredentialParams } from '../lib/url';

/**
 * Every error becomes RFC 9457 problem+json (the mapping is in problem-mapping.ts). A 500 says
 * nothing about internals, and the full error goes to the log.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  constructor(@Optional() @Inject(appConfig.KEY) private readonly config?: Pick<AppConfig, 'bodyLimitBytes'>) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const problem = problemOf(exception, this.config?.bodyLimitBytes);
    const status = problem.type.status;
    if (status >= 500 && status !== 503) {
      this.logger.error(
        `${request.method} ${redactCredentialParams(request.url)} failed (request ${request.id})`,
        exception instanceof Error ? exception.stack : String(exception),
      );
    } else if (status === 503) {
      if (exception instanceof DatabaseUnavailableError || isTransientConnectionError(exception)) databaseOutage.seen();
      this.logger.warn(
        `${request.method} ${redactCredentialParams(request.url)}: ${describeError(exception)} (request ${request.id})`,
      );
    }
    if (reply.sent) return;
    void reply
      .status(status)
      .headers(problem.headers ?? {})
      .type(PROBLEM_CONTENT_TYPE)
      .send(problemBody(problem, redactCredentialParams(request.url), String(request.id)));
  }
}
