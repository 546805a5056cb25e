import type { TracerProvider } from '@opentelemetry/sdk-trace';
import type { ObservabilityConfig } from '../config/observability.config';

let provider: TracerProvider | undefined;

/**
 * Starts OpenTelemetry tracing when OTEL_EXPORTER_OTLP_ENDPOINT is set: a server span per HTTP
 * request (W3C traceparent honoured), a child span per PostgreSQL query (statement text only,
 * never parameter values), exported over OTLP/HTTP. Must run before `pg` and `http` are loaded,
 * so main.ts imports it first.
 */
export function startTracing(config: ObservabilityConfig): boolean {
  if (!config.otlpEndpoint || provider) return !!provider;
  const url = new URL(
    'v1/traces',
    config.otlpEndpoint.href.endsWith('/') ? config.otlpEndpoint : `${config.otlpEndpoint.href}/`,
  );
  // Required here, not imported at the top: with tracing off the SDK is never loaded.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sdk = require('./tracing-sdk') as typeof import('./tracing-sdk');
  provider = sdk.registerTracing(config.serviceName, url.href, config.sampler);
  return true;
}

/** Whether startTracing() turned tracing on in this process. */
export function tracingEnabled(): boolean {
  return provider !== undefined;
}

/** Exports the spans still buffered, then stops; safe when tracing never started. */
export async function stopTracing(): Promise<void> {
  const current = provider;
  provider = undefined;
  await current?.shutdown();
}
