import { collectDefaultMetrics, Registry } from 'prom-client';
import { FastHistogram } from './histogram';

/** OpenTelemetry's recommended boundaries for http.server.request.duration, in seconds. */
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
const DB_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The service's metrics, named after the OpenTelemetry semantic conventions as Prometheus writes them. */
export class Metrics {
  readonly registry = new Registry();

  readonly httpDuration = new FastHistogram(
    'http_server_request_duration_seconds',
    'Duration of HTTP server requests (health probes and metrics scrapes are not counted).',
    ['http_request_method', 'http_route', 'http_response_status_code'],
    HTTP_BUCKETS,
    this.registry,
  );

  readonly dbDuration = new FastHistogram(
    'db_client_operation_duration_seconds',
    'Duration of database client operations (one per SQL statement sent to PostgreSQL).',
    ['db_system_name', 'db_operation_name'],
    DB_BUCKETS,
    this.registry,
  );

  constructor() {
    // process_cpu_seconds_total, nodejs_heap_size_used_bytes, nodejs_eventloop_lag_seconds, ...
    collectDefaultMetrics({ register: this.registry });
  }
}
