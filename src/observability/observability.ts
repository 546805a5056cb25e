import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DataSource } from 'typeorm';
import type { ObservabilityConfig } from '../config/observability.config';
import { observeDatabase } from './db-metrics';
import { observeHttp } from './http-metrics';
import { Metrics } from './metrics';
import { serveMetricsPort, serveMetricsRoute } from './metrics-endpoint';
import { stopTracing } from './tracing';

/** Metrics (unless METRICS_ENABLED=false), route names on trace spans, and their teardown. */
export function setupObservability(app: NestFastifyApplication, config: ObservabilityConfig, host: string): void {
  const fastify = app.getHttpAdapter().getInstance();
  const metrics = config.metricsEnabled ? new Metrics() : undefined;
  observeHttp(fastify, metrics);
  if (metrics) {
    const database = observeDatabase(metrics, app.get(DataSource));
    // onReady runs after Nest's onModuleInit hooks, so the DataSource and its pool exist.
    fastify.addHook('onReady', (done) => {
      database.attach();
      done();
    });
    if (config.metricsPort === undefined) serveMetricsRoute(fastify, metrics);
    else serveMetricsPort(fastify, metrics, host, config.metricsPort);
  }
  // Spans still buffered are exported before the process exits.
  fastify.addHook('onClose', async () => stopTracing());
}
