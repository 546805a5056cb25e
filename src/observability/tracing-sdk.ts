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
import { isCredentialParam } from '../lib/url';
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
        startIncomingSpanHook: (request: IncomingMessage) => maskedQuery(request.url ?? ''),
      }),
      // enhancedDatabaseReporting stays off: it would add the bound values (user data) to spans.
      new PgInstrumentation({ enhancedDatabaseReporting: false, requireParentSpan: true }),
    ],
  });
  return provider;
}

/** The instrumentation's own list of query parameters it masks on server spans (signed URLs). */
const SIGNED_URL_PARAMS = new Set([
  'sig',
  'Signature',
  'AWSAccessKeyId',
  'X-Goog-Signature',
  'X-Amz-Signature',
  'X-Amz-Credential',
  'X-Amz-Security-Token',
]);

/**
 * The server span's url.query, with credential-looking values masked as the request log masks
 * them: the instrumentation's own list knows signed URLs but not access_token or api_key, and
 * matches names in one case only. Replaces its attribute (hook attributes are applied last).
 */
function maskedQuery(url: string): Record<string, string> {
  const at = url.indexOf('?');
  if (at < 0) return {};
  const params = new URLSearchParams(url.slice(at + 1));
  for (const name of new Set(params.keys())) {
    if (isCredentialParam(name) || SIGNED_URL_PARAMS.has(name)) params.set(name, 'REDACTED');
  }
  return { 'url.query': params.toString() };
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
