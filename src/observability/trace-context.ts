import { context, isSpanContextValid, trace } from '@opentelemetry/api';

export interface TraceFields {
  trace_id: string;
  span_id: string;
}

/** The active span's ids, for log lines; empty when tracing is off or nothing is recording. */
export function activeTraceFields(): Partial<TraceFields> {
  const span = trace.getSpan(context.active());
  const ids = span?.spanContext();
  if (!ids || !isSpanContextValid(ids)) return {};
  return { trace_id: ids.traceId, span_id: ids.spanId };
}
