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
import type { TraceSampler } from '../config/observability.config';
import { isUnobservedPath } from './unobserved-paths';

/**
 * The OpenTelemetry SDK, exporter and instrumentations: required by tracing.ts only when tracing
 * is on, so a process without OTEL_EXPORTER_OTLP_ENDPOINT never loads them and holds less heap
 * (docs/decisions/0001-heap-flags.md).
 */
export function registerTracing(serviceName: string, tracesUrl: string, sampler: TraceSampler): TracerProvider {
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName }),
    sampler: samplerOf(sampler),
    spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: tracesUrl }) })],
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
  return provider;
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
