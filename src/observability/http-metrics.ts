import { context, trace } from '@opentelemetry/api';
import type { FastifyInstance } from 'fastify';
import type { Metrics } from './metrics';
import { tracingEnabled } from './tracing';
import { isUnobservedPath } from './unobserved-paths';

/** The http_route of a request that matched no route: one value, so a scan of random URLs adds no series. */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * Times every request into http_server_request_duration_seconds, labelled with the route template
 * (`/books/:id`, never the raw URL), and names the tracing server span after it.
 */
export function observeHttp(fastify: FastifyInstance, metrics: Metrics | undefined): void {
  if (tracingEnabled()) nameServerSpans(fastify);
  if (!metrics) return;

  fastify.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? UNMATCHED_ROUTE;
    if (!isUnobservedPath(route)) {
      metrics.httpDuration.child(request.method, route, String(reply.statusCode)).observe(reply.elapsedTime / 1000);
    }
    done();
  });
}

/** The server span gets the route template as its name and http.route. */
function nameServerSpans(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, _reply, done) => {
    const span = trace.getSpan(context.active());
    const route = request.routeOptions.url;
    if (span && route) {
      span.updateName(`${request.method} ${route}`);
      span.setAttribute('http.route', route);
    }
    done();
  });
}
