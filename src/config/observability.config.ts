import { EnvReader } from './env-parsers';

export interface ObservabilityConfig {
  /** Serve Prometheus metrics at /metrics. */
  metricsEnabled: boolean;
  /**
   * A separate port for /metrics (on HOST); undefined serves it on the API port, which production
   * never does: there it defaults to METRICS_PORT_PRODUCTION, so the public port serves only the API.
   */
  metricsPort?: number;
  /** OTLP/HTTP base URL (traces go to `<url>/v1/traces`); undefined leaves tracing off. */
  otlpEndpoint?: URL;
  /** service.name of exported spans. */
  serviceName: string;
  /** Which traces are recorded: OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG, as the OpenTelemetry SDKs read them. */
  sampler: TraceSampler;
}

/** The OpenTelemetry specification's built-in samplers (OTEL_TRACES_SAMPLER's values). */
export const TRACE_SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;

export interface TraceSampler {
  name: (typeof TRACE_SAMPLERS)[number];
  /** The share of root traces recorded by the *traceidratio samplers, 0 to 1. */
  ratio: number;
}

/** The OpenTelemetry Prometheus exporter's conventional port. */
export const METRICS_PORT_PRODUCTION = 9464;

export function buildObservabilityConfig(env: Record<string, string | undefined>): ObservabilityConfig {
  const read = new EnvReader(env);
  const production = env.NODE_ENV?.trim() === 'production';
  const port = read.string('METRICS_PORT');
  const config: ObservabilityConfig = {
    metricsEnabled: read.bool('METRICS_ENABLED', true),
    metricsPort:
      port === undefined ? (production ? METRICS_PORT_PRODUCTION : undefined) : read.int('METRICS_PORT', 0, 0, 65535),
    otlpEndpoint: httpUrl(read, 'OTEL_EXPORTER_OTLP_ENDPOINT', read.string('OTEL_EXPORTER_OTLP_ENDPOINT')),
    serviceName: read.string('OTEL_SERVICE_NAME', 'bookapi'),
    sampler: {
      name: read.oneOf('OTEL_TRACES_SAMPLER', TRACE_SAMPLERS, 'parentbased_always_on'),
      ratio: ratio(read, 'OTEL_TRACES_SAMPLER_ARG', read.string('OTEL_TRACES_SAMPLER_ARG')),
    },
  };
  // The API's port is public; in production /metrics must not share it.
  if (production && config.metricsPort !== 0 && String(config.metricsPort) === read.string('PORT', '3000')) {
    read.problem(`METRICS_PORT must differ from PORT in production (both ${config.metricsPort})`);
  }
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

/** A probability from 0 to 1 (default 1: every trace, the specification's default). */
function ratio(read: EnvReader, name: string, raw: string | undefined): number {
  if (raw === undefined) return 1;
  const value = /^\d*\.?\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(value >= 0 && value <= 1)) {
    read.problem(`${name} must be a number from 0 to 1, the share of traces recorded (got "${raw}")`);
    return 1;
  }
  return value;
}
