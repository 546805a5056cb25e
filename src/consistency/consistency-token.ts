import { applyDecorators } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import { ApiHeader } from '@nestjs/swagger';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ProblemException } from '../common/problem-details';
import { validationProblem } from '../common/validation';
import { ConsistencyScope, ConsistencyState } from '../database/replicas/consistency-scope';
import { formatLsn, parseLsn } from '../database/replicas/lsn';
import type { WalHorizon } from '../database/replicas/wal-horizon';

export const CONSISTENCY_TOKEN = 'Consistency-Token';
export const READ_SOURCE = 'X-Read-Source';

const TOKEN_EXAMPLE = '0/16B3748';

/** OpenAPI: the response header of every write, when the service reads from replicas. */
export const CONSISTENCY_TOKEN_HEADER = {
  [CONSISTENCY_TOKEN]: {
    required: false,
    description:
      'Where this write ended in the database log, when the service reads from replicas (absent with the primary ' +
      'alone, where every read sees every write). Send it back as the Consistency-Token request header of a GET ' +
      'and that read sees this write (read-your-writes), whichever replica or primary serves it.',
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

/**
 * On a read that goes through the ReadRouter: OpenAPI documents the Consistency-Token request
 * header, and the hook below refuses a malformed token or one past the horizon on this route
 * (through Fastify's route config, which Nest's RouteConfig sets; a route that needs a
 * RouteConfig of its own must merge this flag into it). Other routes ignore a malformed token.
 */
export const AcceptsConsistencyToken = () =>
  applyDecorators(
    ApiHeader({
      name: CONSISTENCY_TOKEN,
      required: false,
      description:
        'The Consistency-Token of an earlier write response: the read then reflects that write (it is served by a ' +
        'replica that has replayed it, or by the primary). Without it a read may lag by up to DB_REPLICA_MAX_LAG_MS.',
      schema: { type: 'string', pattern: '^[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}$' },
    }),
    RouteConfig({ consistencyToken: true }),
  );

/**
 * Read-your-writes across replicas without sticky sessions. Each request's handler runs in a
 * ConsistencyScope: a GET's Consistency-Token bounds which replica may serve it, and the scope
 * collects the commit position of a write for its Consistency-Token response header and the read's
 * source for X-Read-Source. Two Fastify hooks, not a Nest interceptor or guard: a route with
 * neither runs without Nest's RxJS pipeline and guard chain (docs/decisions/0007-no-interceptors.md).
 * - preHandler (after the body is parsed): a read of a route marked `@AcceptsConsistencyToken()`
 *   presenting a token that is not a WAL position, or one past the horizon (beyond where the
 *   primary's WAL can have reached, by what this service has seen), is refused (400 problem,
 *   through Nest's exception filter); a forged token within the horizon is only a read served by
 *   the primary. Otherwise the handler is called inside the scope, so every statement it runs sees it;
 * - onSend (success or problem): the headers from what the scope collected; a token handed out
 *   moves the horizon before the client can present it.
 * `tokens` (replicas are configured) decides whether writes read their commit position: with the
 * primary alone no read can miss a write, so the token would cost every write a round trip for nothing.
 */
export function installConsistencyScope(
  fastify: FastifyInstance,
  options: { tokens: boolean; horizon: WalHorizon },
): void {
  const { horizon } = options;
  fastify.decorateRequest('consistency', null);
  fastify.addHook('preHandler', (request, _reply, done) => {
    const read = isRead(request);
    const state: ConsistencyState = { write: !read, tokens: options.tokens };
    if (read) {
      const raw = request.headers[HEADER];
      if (raw !== undefined) {
        state.minLsn = typeof raw === 'string' ? parseLsn(raw) : undefined;
        if (request.routeOptions.config?.consistencyToken) {
          if (state.minLsn === undefined) {
            done(malformedToken());
            return;
          }
          if (!horizon.admits(state.minLsn)) {
            done(tokenAhead());
            return;
          }
        }
      }
    }
    request.consistency = state;
    ConsistencyScope.run(state, done);
  });
  fastify.addHook('onSend', (request, reply, payload, done) => {
    const state = request.consistency;
    if (state?.commitLsn !== undefined) {
      horizon.see(state.commitLsn);
      void reply.header(CONSISTENCY_TOKEN, formatLsn(state.commitLsn));
    }
    if (state?.servedBy !== undefined) void reply.header(READ_SOURCE, state.servedBy);
    done(null, payload);
  });
}

declare module 'fastify' {
  interface FastifyRequest {
    consistency: ConsistencyState | null;
  }
  interface FastifyContextConfig {
    /** Set by `@AcceptsConsistencyToken()`. */
    consistencyToken?: boolean;
  }
}

function malformedToken(): ProblemException {
  return validationProblem([
    {
      field: CONSISTENCY_TOKEN,
      message: `${CONSISTENCY_TOKEN} must be the value of that header from a write response, e.g. ${TOKEN_EXAMPLE}`,
    },
  ]);
}

function tokenAhead(): ProblemException {
  return validationProblem([
    {
      field: CONSISTENCY_TOKEN,
      message: `${CONSISTENCY_TOKEN} is past any position the database has reached; send the value from a write response`,
    },
  ]);
}

const HEADER = CONSISTENCY_TOKEN.toLowerCase();

function isRead(request: FastifyRequest): boolean {
  return request.method === 'GET' || request.method === 'HEAD';
}
