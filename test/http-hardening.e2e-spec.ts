import * as net from 'node:net';
import { bookInput } from './factories/book.factory';
import { SpawnedApp, spawnApp, waitForListening } from './helpers/spawn-app';
import { useTestDatabase } from './helpers/books-app';
import { serviceEnv } from './helpers/test-database';

interface Trickle {
  /** Body bytes written before the server answered or closed. */
  sent: number;
  /** What the server sent back, if anything. */
  answer: string;
}

/**
 * A slowloris client: full headers, then the body one byte per `everyMs`. Resolves when the
 * server answers or closes the connection, or once the whole body has gone out.
 */
function trickle(baseUrl: string, length: number, everyMs: number, onStarted?: () => void): Promise<Trickle> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname);
    let sent = 0;
    let answer = '';
    let timer: NodeJS.Timeout | undefined;
    const finish = () => {
      clearInterval(timer);
      socket.destroy();
      resolve({ sent, answer });
    };
    socket.on('data', (chunk) => {
      answer += chunk.toString();
      if (answer.includes('\r\n\r\n')) finish();
    });
    socket.on('close', finish);
    socket.on('error', finish);
    socket.once('connect', () => {
      socket.write(
        `POST /books HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`,
      );
      timer = setInterval(() => {
        if (sent >= length) return;
        socket.write(' ');
        sent += 1;
        if (sent === 1) onStarted?.();
      }, everyMs);
    });
  });
}

/** The service logs a request after answering it: wait for its line to reach our pipe. */
async function logged(app: SpawnedApp, pattern: RegExp): Promise<string> {
  for (let i = 0; i < 100 && !pattern.test(app.output()); i++) await new Promise((r) => setTimeout(r, 50));
  return app.output();
}

function send(baseUrl: string, path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${baseUrl}${path}`, { ...init, signal: AbortSignal.timeout(20_000) });
}

/** The built service (node dist/main.js), so its own log output can be read. */
describe('HTTP hardening: slow clients, proxies, deep JSON', () => {
  const fx = useTestDatabase('http_hardening');
  const apps: SpawnedApp[] = [];
  const start = async (env: Record<string, string>) => {
    const app = spawnApp({
      ...serviceEnv(fx.db),
      LOG_LEVEL: 'log',
      ...env,
    });
    apps.push(app);
    return { app, base: await waitForListening(app) };
  };

  // Before the fixture drops the database.
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.stop()));
  });

  it('cuts off a client that sends its body one byte at a time once REQUEST_TIMEOUT_MS has passed', async () => {
    const { base } = await start({ REQUEST_TIMEOUT_MS: '1500' });
    // 300 bytes at one per 100 ms would take 30 s; the limit ends it long before the last byte.
    const result = await trickle(base, 300, 100);
    expect(result.sent).toBeLessThan(300);
    expect(result.answer).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(result.answer).toMatch(/\r\nContent-Type: application\/problem\+json\r\n/);
    // A normal request on a fresh connection is unaffected.
    expect((await send(base, '/health/live')).status).toBe(200);
  });

  it('answers bytes that are not HTTP with a 400 problem+json and closes the connection', async () => {
    const { base } = await start({});
    const { hostname, port } = new URL(base);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(Number(port), hostname, () => socket.write('NOT HTTP AT ALL\r\n\r\n'));
      let text = '';
      socket.on('data', (chunk) => (text += chunk.toString()));
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(answer).toMatch(/\r\nContent-Type: application\/problem\+json\r\n/);
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toMatchObject({
      type: '/problems/bad-request',
      status: 400,
    });
  });

  it('does not let a trickling client hold graceful shutdown to its deadline', async () => {
    // The request timeout is longer than the shutdown deadline: only the drain can end it.
    const { app, base } = await start({ REQUEST_TIMEOUT_MS: '120000', SHUTDOWN_TIMEOUT_MS: '8000' });
    let started!: () => void;
    const trickling = new Promise<void>((resolve) => (started = resolve));
    const client = trickle(base, 1000, 100, started);
    await trickling;
    const exit = app.stop('SIGTERM');
    const result = await client;
    expect(result.sent).toBeLessThan(1000);
    // Exit 1 would mean the drain ran into SHUTDOWN_TIMEOUT_MS.
    await expect(exit).resolves.toEqual({ code: 0, signal: null });
    expect(app.output()).not.toMatch(/did not finish within SHUTDOWN_TIMEOUT_MS/);
  });

  it('answers 20,000 levels of nested JSON in 40 KB with 400, and logs no stack', async () => {
    const { app, base } = await start({});
    const deep = '['.repeat(20_000) + ']'.repeat(20_000);
    for (const body of [deep, `{"books":${deep}}`]) {
      for (const path of ['/books', '/books/batch']) {
        const res = await send(base, path, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        expect({ path, status: res.status }).toEqual({ path, status: 400 });
        expect(res.headers.get('content-type')).toMatch(/problem\+json/);
        expect(((await res.json()) as { detail: string }).detail).toMatch(/nests deeper than/);
      }
    }
    // A body of ordinary depth still works.
    const created = await send(base, '/books', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(bookInput()),
    });
    expect(created.status).toBe(201);
    expect(app.output()).not.toMatch(/RangeError|Maximum call stack|\n\s+at \S+ \(/);
  });

  describe('TRUST_PROXY', () => {
    const forwarded = (ip: string) => ({ headers: { 'x-forwarded-for': ip } });
    const throttle = { THROTTLE_ENABLED: 'true', THROTTLE_LIMIT: '2', THROTTLE_TTL_MS: '60000' };

    it('set: the rate limit and the request log use the X-Forwarded-For client', async () => {
      const { app, base } = await start({ ...throttle, TRUST_PROXY: '127.0.0.1' });
      expect((await send(base, '/books', forwarded('203.0.113.7'))).status).toBe(200);
      expect((await send(base, '/books', forwarded('203.0.113.7'))).status).toBe(200);
      expect((await send(base, '/books', forwarded('203.0.113.7'))).status).toBe(429);
      // Another client behind the same proxy has its own budget.
      expect((await send(base, '/books', forwarded('203.0.113.8'))).status).toBe(200);
      expect(app.output()).toMatch(/GET \/books 200 from 203\.0\.113\.7 /);
      expect(app.output()).toMatch(/GET \/books 429 from 203\.0\.113\.7 /);
      expect(await logged(app, /from 203\.0\.113\.8 /)).toMatch(/GET \/books 200 from 203\.0\.113\.8 /);
    });

    it('unset: forwarded headers are ignored, so a client cannot dodge the limit by forging them', async () => {
      const { app, base } = await start(throttle);
      expect((await send(base, '/books', forwarded('203.0.113.7'))).status).toBe(200);
      expect((await send(base, '/books', forwarded('203.0.113.8'))).status).toBe(200);
      expect((await send(base, '/books', forwarded('203.0.113.9'))).status).toBe(429);
      expect(await logged(app, /GET \/books 429/)).toMatch(/GET \/books 200 from 127\.0\.0\.1 /);
      expect(app.output()).not.toMatch(/from 203\.0\.113/);
    });
  });
});
