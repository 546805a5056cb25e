import { EnvReader } from './env-parsers';

export interface ObservabilityConfig {
  /** Serve Prometheus metrics at /metrics. */
  metricsEnabled: boolean;
  /** A separate port for /metrics (on HOST); undefined serves it on the API port. */
  metricsPort?: number;
  /** OTLP/HTTP base URL (traces go to `<url>/v1/traces`); undefined leaves tracing off. */
  otlpEndpoint?: URL;
  /** service.name of exported spans. */
  serviceName: string;
}

export function buildObservabilityConfig(env: Record<string, string | undefined>): ObservabilityConfig {
  const read = new EnvReader(env);
  const port = read.string('METRICS_PORT');
  const config: ObservabilityConfig = {
    metricsEnabled: read.bool('METRICS_ENABLED', true),
    metricsPort: port === undefined ? undefined : read.int('METRICS_PORT', 0, 0, 65535),
    otlpEndpoint: httpUrl(read, 'OTEL_EXPORTER_OTLP_ENDPOINT', read.string('OTEL_EXPORTER_OTLP_ENDPOINT')),
    serviceName: read.string('OTEL_SERVICE_NAME', 'bookapi'),
  };
  read.done();
  return config;
}

function httpUrl(read: EnvReader, name: string, raw: string | undefined): URL | undefined {
  if (raw === undefined) return undefined;
  const url = URL.canParse(raw) ? new URL(raw) : undefined;
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    read.problem(`${name} must be an http:// or https:// URL, e.g. http://collector:4318`);
    return undefined;
  }
  return url;
}
