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
