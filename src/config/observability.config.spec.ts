import { buildObservabilityConfig } from './observability.config';

describe('buildObservabilityConfig', () => {
  it('defaults: metrics on the API port, tracing off', () => {
    expect(buildObservabilityConfig({})).toEqual({
      metricsEnabled: true,
      metricsPort: undefined,
      otlpEndpoint: undefined,
      serviceName: 'bookapi',
      sampler: { name: 'parentbased_always_on', ratio: 1 },
    });
  });

  it('production: metrics on 9464 unless METRICS_PORT says otherwise, never on PORT', () => {
    expect(buildObservabilityConfig({ NODE_ENV: 'production' }).metricsPort).toBe(9464);
    expect(buildObservabilityConfig({ NODE_ENV: 'production', METRICS_PORT: '9100' }).metricsPort).toBe(9100);
    expect(buildObservabilityConfig({ NODE_ENV: 'production', METRICS_PORT: '0' }).metricsPort).toBe(0);
    expect(() => buildObservabilityConfig({ NODE_ENV: 'production', PORT: '8080', METRICS_PORT: '8080' })).toThrow(
      'METRICS_PORT must differ from PORT in production (both 8080)',
    );
    expect(() => buildObservabilityConfig({ NODE_ENV: 'production', PORT: '9464' })).toThrow(
      /METRICS_PORT must differ/,
    );
    expect(buildObservabilityConfig({ NODE_ENV: 'development' }).metricsPort).toBeUndefined();
  });

  it('reads a metrics port, an OTLP endpoint and a service name', () => {
    const config = buildObservabilityConfig({
      METRICS_ENABLED: 'false',
      METRICS_PORT: '9464',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_SERVICE_NAME: 'books',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.05',
    });
    expect(config).toEqual({
      metricsEnabled: false,
      metricsPort: 9464,
      otlpEndpoint: new URL('http://collector:4318'),
      serviceName: 'books',
      sampler: { name: 'parentbased_traceidratio', ratio: 0.05 },
    });
  });

  it('refuses a bad port and a non-HTTP endpoint in one message naming both', () => {
    expect(() =>
      buildObservabilityConfig({ METRICS_PORT: '70000', OTEL_EXPORTER_OTLP_ENDPOINT: 'grpc://c:4317' }),
    ).toThrow(
      /METRICS_PORT must be an integer from 0 to 65535 \(got "70000"\); OTEL_EXPORTER_OTLP_ENDPOINT must be an http:\/\/ or https:\/\/ URL/,
    );
  });

  it('refuses an unknown sampler and a ratio outside 0..1, naming both', () => {
    for (const arg of ['1.5', '-0.1', 'half', '1e-2']) {
      expect(() => buildObservabilityConfig({ OTEL_TRACES_SAMPLER: 'ratio', OTEL_TRACES_SAMPLER_ARG: arg })).toThrow(
        `Invalid configuration: OTEL_TRACES_SAMPLER must be one of always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio (got "ratio"); OTEL_TRACES_SAMPLER_ARG must be a number from 0 to 1, the share of traces recorded (got "${arg}")`,
      );
    }
  });

  it('reads a ratio of 0 and of 1, and decimals without a leading digit', () => {
    for (const [arg, ratio] of [
      ['0', 0],
      ['1', 1],
      ['.25', 0.25],
      ['1.0', 1],
    ] as const) {
      expect(buildObservabilityConfig({ OTEL_TRACES_SAMPLER_ARG: arg }).sampler.ratio).toBe(ratio);
    }
  });
});
