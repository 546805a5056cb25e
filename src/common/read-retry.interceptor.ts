import { CallHandler, ExecutionContext, Injectable, Logger, NestInterceptor } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Observable, retry, throwError, timer } from 'rxjs';
import { DataSource } from 'typeorm';
import { discardIdleConnections } from '../lib/idle-connections';
import { isTransientConnectionError } from '../lib/postgres-error';

const READ_METHODS = new Set(['GET', 'HEAD']);

/**
 * A read (GET, HEAD) whose database connection broke before any answer was sent runs once
 * more, on a fresh connection: a backend killed by a failover, a restart or
 * pg_terminate_backend should not cost the client an error. Reads change nothing, so running
 * one twice is safe; writes are never retried here (a lost COMMIT may have happened).
 */
@Injectable()
export class ReadRetryInterceptor implements NestInterceptor {
  private readonly logger = new Logger('ReadRetry');

  constructor(private readonly dataSource: DataSource) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    if (!READ_METHODS.has(request.method)) return next.handle();
    const reply = http.getResponse<FastifyReply>();
    // Nest defers the handler, so resubscribing runs it again.
    return next.handle().pipe(
      retry({
        count: 1,
        delay: (error: unknown) => {
          if (reply.sent || !isTransientConnectionError(error)) return throwError(() => error);
          // Its pooled siblings likely died with it: the retry must get a fresh connection.
          const discarded = discardIdleConnections(this.dataSource);
          this.logger.debug(
            `${request.method} ${request.url}: connection lost; retrying once after closing ${discarded} idle connection(s) (request ${request.id})`,
          );
          return timer(0);
        },
      }),
    );
  }
}
