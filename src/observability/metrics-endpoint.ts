import { Logger } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { StartupError } from '../lib/startup-error';
import type { Metrics } from './metrics';

/** GET /metrics as a plain Fastify route: Nest never sees it, so Swagger does not list it. */
export function serveMetricsRoute(fastify: FastifyInstance, metrics: Metrics): void {
  fastify.get('/metrics', async (_request, reply) => {
    const body = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(body);
  });
}

/**
 * /metrics on its own port (METRICS_PORT), so the API's port does not expose it. Listens when
 * the app gets ready and closes with it.
 */
export function serveMetricsPort(fastify: FastifyInstance, metrics: Metrics, host: string, port: number): void {
  const server = http.createServer((request, response) => {
    if (request.method !== 'GET' || new URL(request.url ?? '/', 'http://x').pathname !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found: metrics are at /metrics\n');
      return;
    }
    metrics.registry.metrics().then(
      (body) => response.writeHead(200, { 'content-type': metrics.registry.contentType }).end(body),
      () => response.writeHead(500).end(),
    );
  });
  fastify.addHook('onReady', async () => {
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) =>
        reject(
          new StartupError(`METRICS_PORT=${port}: cannot listen on ${host}:${port} (${error.code ?? error.message})`),
        ),
      );
      server.listen(port, host, () => resolve());
    });
    const { port: bound } = server.address() as AddressInfo;
    new Logger('Metrics').log(`Metrics on http://${host.includes(':') ? `[${host}]` : host}:${bound}/metrics`);
  });
  fastify.addHook('onClose', async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
}
