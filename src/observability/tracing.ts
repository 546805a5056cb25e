import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  type Sampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import type { IncomingMessage } from 'node:http';
import type { ObservabilityConfig, TraceSampler } from '../config/observability.config';
import { isUnobservedPath } from './unobserved-paths';

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
  provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': config.serviceName }),
    sampler: samplerOf(config.sampler),
    spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: url.href }) })],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({
        // Same rule as the metrics: probes and scrapes would drown the requests that matter.
        ignoreIncomingRequestHook: (request: IncomingMessage) => isUnobservedPath(request.url ?? ''),
      }),
      // enhancedDatabaseReporting stays off: it would add the bound values (user data) to spans.
      new PgInstrumentation({ enhancedDatabaseReporting: false, requireParentSpan: true }),
    ],
  });
  return true;
}

/**
 * OTEL_TRACES_SAMPLER as the OpenTelemetry SDKs read it. The parentbased_* samplers follow the
 * caller's decision (the sampled flag of an incoming traceparent) and apply the rest to new traces.
 */
function samplerOf({ name, ratio }: TraceSampler): Sampler {
  const root = name.endsWith('always_on')
    ? new AlwaysOnSampler()
    : name.endsWith('always_off')
      ? new AlwaysOffSampler()
      : new TraceIdRatioBasedSampler(ratio);
  return name.startsWith('parentbased_') ? new ParentBasedSampler({ root }) : root;
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
