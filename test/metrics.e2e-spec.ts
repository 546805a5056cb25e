import * as net from 'node:net';
import request from 'supertest';
import { freePort } from '../src/lib/free-port';
import { waitForListening, useSpawnedApp } from './helpers/spawn-app';

describe('metrics', () => {
  const { start } = useSpawnedApp('metrics');

  it('without METRICS_PORT, /metrics is on the API port and not in the OpenAPI document; METRICS_ENABLED=false removes it', async () => {
    const app = start({});
    try {
      const base = await waitForListening(app);
      await request(base).get('/books').expect(200);
      const res = await request(base).get('/metrics').expect(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(res.text).toMatch(
        /^http_server_request_duration_seconds_count\{http_request_method="GET",http_route="\/books",http_response_status_code="200"\} 1$/m,
      );
      // Every statement the pool's clients run is timed under its first keyword.
      expect(res.text).toMatch(
        /^db_client_operation_duration_seconds_count\{db_system_name="postgresql",db_operation_name="SELECT"\} [1-9]\d*$/m,
      );
      const doc = await request(base).get('/docs-json').expect(200);
      expect(Object.keys(doc.body.paths as object)).not.toContain('/metrics');
      expect(Object.keys(doc.body.paths as object)).toContain('/books/{id}');
    } finally {
      expect(await app.stop()).toEqual({ code: 0, signal: null });
    }

    const off = start({ METRICS_ENABLED: 'false' });
    try {
      await request(await waitForListening(off))
        .get('/metrics')
        .expect(404);
    } finally {
      expect(await off.stop()).toEqual({ code: 0, signal: null });
    }
  });

  it('production serves only the API on its port: no /docs, /docs-json or /metrics there; metrics on METRICS_PORT', async () => {
    const metricsPort = await freePort();
    // Schema mode none: the suite's database may hold the schema sync made, which migrate would trip on.
    const production = { NODE_ENV: 'production', HOST: '127.0.0.1', DB_SCHEMA_MODE: 'none' };
    const app = start({ ...production, METRICS_PORT: String(metricsPort) });
    try {
      const base = await waitForListening(app);
      await request(base).get('/no/such/path').expect(404);
      for (const path of ['/docs', '/docs/', '/docs-json', '/metrics']) {
        const res = await request(base).get(path);
        expect({ path, status: res.status }).toEqual({ path, status: 404 });
      }
      const metrics = await request(`http://127.0.0.1:${metricsPort}`).get('/metrics').expect(200);
      expect(metrics.text).toMatch(
        /^http_server_request_duration_seconds_count\{.*http_route="unmatched".*\} [1-9]\d*$/m,
      );
      expect(app.output()).toMatch(/no \/docs: DOCS_ENABLED=false/);
    } finally {
      const exit = await app.stop();
      expect({ exit, out: exit.code === 0 ? '' : app.output().slice(-3000) }).toEqual({
        exit: { code: 0, signal: null },
        out: '',
      });
    }

    const documented = start({ ...production, METRICS_PORT: '0', DOCS_ENABLED: 'true' });
    try {
      const base = await waitForListening(documented);
      const doc = await request(base).get('/docs-json').expect(200);
      expect(Object.keys(doc.body.paths as object)).toContain('/books/{id}');
      await request(base).get('/docs').redirects(1).expect(200);
      await request(base).get('/metrics').expect(404);
    } finally {
      expect(await documented.stop()).toEqual({ code: 0, signal: null });
    }
  });

  it('a METRICS_PORT already in use stops startup with one line naming it', async () => {
    const busy = await freePort();
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(busy, '127.0.0.1', resolve));
    try {
      const app = start({ HOST: '127.0.0.1', METRICS_PORT: String(busy) });
      expect(await app.exited).toEqual({ code: 1, signal: null });
      expect(app.output()).toContain(
        `Startup failed: METRICS_PORT=${busy}: cannot listen on 127.0.0.1:${busy} (EADDRINUSE)`,
      );
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});
