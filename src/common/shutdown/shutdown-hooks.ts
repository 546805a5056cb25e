import type { FastifyInstance } from 'fastify';
import { problemBody, unavailable } from '../problem-mapping';
import { PROBLEM_CONTENT_TYPE } from '../problem-details';
import type { ShutdownState } from './shutdown-state';
import { redactCredentialParams } from '../../lib/url';

/**
 * While draining (after SHUTDOWN_DRAIN_DELAY_MS), every request but liveness is refused with 503 problem+json and
 * `Connection: close`; the requests admitted before that are counted until answered.
 */
export function installShutdownHooks(fastify: FastifyInstance, shutdown: ShutdownState): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    if (shutdown.isRefusing && !request.url.startsWith('/health/live')) {
      const problem = unavailable('The service is shutting down; retry on another instance');
      void reply
        .status(problem.type.status)
        .header('Connection', 'close')
        .headers(problem.headers ?? {})
        .type(PROBLEM_CONTENT_TYPE)
        .send(problemBody(problem, redactCredentialParams(request.url), String(request.id)));
      return;
    }
    done();
  });
  // After the refusal hook: only admitted requests hold up the drain on shutdown.
  shutdown.trackRequests(fastify);
}
