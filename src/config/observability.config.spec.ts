import { buildObservabilityConfig } from './observability.config';

describe('buildObservabilityConfig', () => {
  it('defaults: metrics on the API port, tracing off', () => {
    expect(buildObservabilityConfig({})).toEqual({
      metricsEnabled: true,
      metricsPort: undefined,
      otlpEndpoint: undefined,
      serviceName: 'bookapi',
    });
  });

  it('reads a metrics port, an OTLP endpoint and a service name', () => {
    const config = buildObservabilityConfig({
      METRICS_ENABLED: 'false',
      METRICS_PORT: '9464',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_SERVICE_NAME: 'books',
    });
    expect(config).toEqual({
      metricsEnabled: false,
      metricsPort: 9464,
      otlpEndpoint: new URL('http://collector:4318'),
      serviceName: 'books',
    });
  });

  it('refuses a bad port and a non-HTTP endpoint in one message naming both', () => {
    expect(() =>
      buildObservabilityConfig({ METRICS_PORT: '70000', OTEL_EXPORTER_OTLP_ENDPOINT: 'grpc://c:4317' }),
    ).toThrow(
      /METRICS_PORT must be an integer from 0 to 65535 \(got "70000"\); OTEL_EXPORTER_OTLP_ENDPOINT must be an http:\/\/ or https:\/\/ URL/,
    );
  });
});
