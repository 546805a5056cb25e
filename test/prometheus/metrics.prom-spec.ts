import request from 'supertest';
import { freePort } from '../../src/lib/free-port';
import { bookInput } from '../factories/book.factory';
import { buildObservabilityConfig, METRICS_PORT_PRODUCTION } from '../../src/config/observability.config';
import { deployedScrapeJob, PromSeries, RunningPrometheus, startPrometheus } from '../helpers/prometheus';
import { waitForListening, useSpawnedApp } from '../helpers/spawn-app';

/**
 * Scraped by a real Prometheus (Debian's `prometheus`, started here on a free port). Its own jest
 * project (`npm run test:prometheus`, run by .ci/run), so `npm test` needs no Prometheus installed;
 * the rest of /metrics is checked by test/metrics.e2e-spec.ts.
 */
const MISSING_ID = '00000000-0000-4000-8000-000000000000';

const labels = (series: PromSeries[], ...names: string[]) =>
  series.map((s) => names.map((name) => s.metric[name] ?? '').join(' ')).sort();
const valueOf = (series: PromSeries[], where: Record<string, string>) =>
  Number(series.find((s) => Object.entries(where).every(([k, v]) => s.metric[k] === v))?.value[1] ?? NaN);

describe('metrics scraped by Prometheus', () => {
  const { start } = useSpawnedApp('metrics');

  it("the deployed scrape job reads each api on production's metrics port, at /metrics", () => {
    const job = deployedScrapeJob();
    expect(job.metrics_path ?? '/metrics').toBe('/metrics');
    const targets = job.static_configs.flatMap((config) => config.targets);
    expect(targets.length).toBeGreaterThan(0);
    expect(targets.map((target) => target.split(':')[1])).toEqual(targets.map(() => String(METRICS_PORT_PRODUCTION)));
    expect(buildObservabilityConfig({ NODE_ENV: 'production' }).metricsPort).toBe(METRICS_PORT_PRODUCTION);
  });

  it('a real Prometheus runs the deployed scrape job on METRICS_PORT: request durations by route template, pool gauges, statement durations, process metrics', async () => {
    const metricsPort = await freePort();
    const app = start({ NODE_ENV: 'production', HOST: '127.0.0.1', METRICS_PORT: String(metricsPort) });
    let prometheus: RunningPrometheus | undefined;
    try {
      const base = await waitForListening(app);
      prometheus = await startPrometheus(`127.0.0.1:${metricsPort}`);
      await prometheus.waitFor('up{job="bookapi"}', (s) => s[0]?.value[1] === '1');

      const created = await request(base).post('/books').send(bookInput()).expect(201);
      const id = String(created.body.id);
      await request(base).get(`/books/${id}`).expect(200);
      await request(base).get(`/books/${MISSING_ID}`).expect(404);
      await request(base).get('/no/such/path').expect(404);
      await request(base).get(`/no/such/${id}`).expect(404);
      await request(base).get('/health/live').expect(200);
      await request(base).get('/health/ready').expect(200);
      // Only on METRICS_PORT: on the API port /metrics is just another unmatched path.
      await request(base).get('/metrics').expect(404);

      const http = await prometheus.waitFor(
        'http_server_request_duration_seconds_count{job="bookapi"}',
        (s) => valueOf(s, { http_route: 'unmatched' }) === 3 && s.length >= 4,
      );
      // Route templates only, one fixed value for every unmatched path; probes and scrapes left out.
      expect(labels(http, 'http_request_method', 'http_route', 'http_response_status_code')).toEqual([
        'GET /books/:id 200',
        'GET /books/:id 404',
        'GET unmatched 404',
        'POST /books 201',
      ]);
      expect(valueOf(http, { http_route: '/books/:id', http_response_status_code: '200' })).toBe(1);
      const buckets = await prometheus.query(
        'http_server_request_duration_seconds_bucket{http_route="/books",le="+Inf"}',
      );
      expect(labels(buckets, 'http_request_method', 'http_response_status_code')).toEqual(['POST 201']);

      const connections = await prometheus.query('db_client_connection_count');
      expect(labels(connections, 'state')).toEqual(['idle', 'used']);
      expect(valueOf(connections, { state: 'idle' }) + valueOf(connections, { state: 'used' })).toBeGreaterThan(0);
      const pending = await prometheus.query('db_client_connection_pending_requests');
      expect(pending.map((s) => Number(s.value[1]))).toEqual([0]);

      const statements = await prometheus.query('db_client_operation_duration_seconds_count');
      expect(new Set(statements.map((s) => s.metric.db_system_name))).toEqual(new Set(['postgresql']));
      expect(valueOf(statements, { db_operation_name: 'INSERT' })).toBeGreaterThanOrEqual(1);
      expect(valueOf(statements, { db_operation_name: 'SELECT' })).toBeGreaterThanOrEqual(2);

      for (const name of ['process_cpu_seconds_total', 'nodejs_heap_size_used_bytes', 'nodejs_eventloop_lag_seconds']) {
        const series = await prometheus.query(`${name}{job="bookapi"}`);
        expect({ name, count: series.length }).toEqual({ name, count: 1 });
        expect(Number(series[0].value[1])).toBeGreaterThanOrEqual(0);
      }
      expect(Number((await prometheus.query('process_cpu_seconds_total'))[0].value[1])).toBeGreaterThan(0);
    } finally {
      await prometheus?.stop();
      expect(await app.stop()).toEqual({ code: 0, signal: null });
    }
  });
});
