import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Observable, tap } from 'rxjs';
import { validationProblem } from '../common/validation';
import { ConsistencyScope, ConsistencyState } from '../database/replicas/consistency-scope';
import { formatLsn, parseLsn } from '../database/replicas/lsn';

export const CONSISTENCY_TOKEN = 'Consistency-Token';
export const READ_SOURCE = 'X-Read-Source';

const TOKEN_EXAMPLE = '0/16B3748';

/** OpenAPI: the response header of every write. */
export const CONSISTENCY_TOKEN_HEADER = {
  [CONSISTENCY_TOKEN]: {
    description:
      'Where this write ended in the database log. Send it back as the Consistency-Token request header of a ' +
      'GET and that read sees this write (read-your-writes), whichever replica or primary serves it.',
    schema: { type: 'string', example: TOKEN_EXAMPLE },
  },
};

/** OpenAPI: the response header of every routed read. */
export const READ_SOURCE_HEADER = {
  [READ_SOURCE]: {
    description: 'Which database served this read: `primary`, or a replica as `replica-<n>`',
    schema: { type: 'string', example: 'replica-1' },
  },
};

/** OpenAPI: the request header of every routed read. */
export const ApiConsistencyTokenHeader = () =>
  ApiHeader({
    name: CONSISTENCY_TOKEN,
    required: false,
    description:
      'The Consistency-Token of an earlier write response: the read then reflects that write (it is served by a ' +
      'replica that has replayed it, or by the primary). Without it a read may lag by up to DB_REPLICA_MAX_LAG_MS.',
    schema: { type: 'string', pattern: '^[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}$' },
  });

/**
 * Read-your-writes across replicas without sticky sessions. Runs each request in a
 * ConsistencyScope: a GET's Consistency-Token (validated: a bad one is a 400) bounds which
 * replica may serve it, and the scope collects the commit position of a write for its
 * Consistency-Token response header and the read's source for X-Read-Source.
 */
@Injectable()
export class ConsistencyTokenInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const read = request.method === 'GET' || request.method === 'HEAD';
    const state: ConsistencyState = { write: !read };
    if (read) state.minLsn = presentedToken(request);
    const answer = () => {
      if (state.commitLsn !== undefined) void reply.header(CONSISTENCY_TOKEN, formatLsn(state.commitLsn));
      if (state.servedBy !== undefined) void reply.header(READ_SOURCE, state.servedBy);
    };
    // Subscribed inside the scope: Nest binds the handler to the async context of next.handle().
    return new Observable((subscriber) =>
      ConsistencyScope.run(state, () =>
        next
          .handle()
          .pipe(tap({ next: answer, error: answer }))
          .subscribe(subscriber),
      ),
    );
  }
}

function presentedToken(request: FastifyRequest): bigint | undefined {
  const raw = request.headers[CONSISTENCY_TOKEN.toLowerCase()];
  if (raw === undefined) return undefined;
  const lsn = typeof raw === 'string' ? parseLsn(raw) : undefined;
  if (lsn === undefined) {
    throw validationProblem([
      {
        field: CONSISTENCY_TOKEN,
        message: `${CONSISTENCY_TOKEN} must be the value of that header from a write response, e.g. ${TOKEN_EXAMPLE}`,
      },
    ]);
  }
  return lsn;
}
