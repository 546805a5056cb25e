import request, { Response } from 'supertest';
import { bookInput } from './factories/book.factory';
import { spawnApp, waitForListening, useSpawnedApp } from './helpers/spawn-app';
import { query, serviceEnv } from './helpers/test-database';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** pino's line: an object logged (the request line) has its fields at the top level. */
interface JsonLine extends Partial<RequestLine> {
  level: string;
  timestamp: number;
  message?: unknown;
  context?: string;
  err?: { stack?: unknown };
}

interface RequestLine {
  method: string;
  url: string;
  status: number;
  ms: number;
  requestId: string;
}

/** Requests whose ids the log must show: given, replaced (invalid), and generated. */
async function exercise(base: string): Promise<{ responses: Response[]; title: string }> {
  const book = bookInput({ title: `Secret Title ${Date.now()}` });
  const responses = [
    await request(base).get('/health/live').set('X-Request-Id', 'trace-01.ab:cd_EF').expect(200),
    await request(base).get('/books').set('X-Request-Id', 'has spaces; and "quotes"').expect(200),
    await request(base).get('/books?limit=1').set('X-Request-Id', 'x'.repeat(129)).expect(200),
    await request(base).post('/books').send(book).expect(201),
    await request(base).get('/books/00000000-0000-4000-8000-000000000000').expect(404),
  ];
  return { responses, title: book.title };
}

function expectRequestIds(responses: Response[]): void {
  const ids = responses.map((res) => String(res.headers['x-request-id']));
  expect(ids[0]).toBe('trace-01.ab:cd_EF');
  for (const id of ids.slice(1)) expect(id).toMatch(UUID);
  expect(new Set(ids).size).toBe(ids.length);
  // Problem bodies carry the same id as the header.
  expect(responses[4].body.requestId).toBe(ids[4]);
}

describe('logs', () => {
  const fx = useSpawnedApp('logs');

  it('production: every line is JSON, one line per request with its id, TypeORM queries in the same stream', async () => {
    const app = spawnApp({
      NODE_ENV: 'production',
      // Production's default metrics port is fixed; tests pick a free one.
      METRICS_PORT: '0',
      LOG_FORMAT: '', // production's default
      LOG_LEVEL: 'debug',
      DB_LOGGING: 'true',
      HOST: '127.0.0.1',
      ...serviceEnv(fx.db),
    });
    let exercised: Awaited<ReturnType<typeof exercise>>;
    let failedId: string;
    try {
      const base = await waitForListening(app);
      exercised = await exercise(base);
      // A 500 logs an error with its stack: still one JSON line.
      await query(fx.db.url, 'ALTER TABLE books RENAME TO books_away');
      try {
        const failed = await request(base).get('/books').expect(500);
        failedId = String(failed.headers['x-request-id']);
      } finally {
        await query(fx.db.url, 'ALTER TABLE books_away RENAME TO books');
      }
    } finally {
      expect(await app.stop()).toEqual({ code: 0, signal: null });
    }

    const raw = app.output().split('\n').filter(Boolean);
    const lines = raw.map((text) => {
      try {
        return JSON.parse(text) as JsonLine;
      } catch {
        throw new Error(`not a JSON log line: ${text}`);
      }
    });
    for (const line of lines) {
      expect(line).toEqual(expect.objectContaining({ level: expect.any(String), timestamp: expect.any(Number) }));
    }

    const { responses, title } = exercised;
    expectRequestIds(responses);
    const requests = lines.filter((l) => l.context === 'HTTP' && typeof l.method === 'string') as RequestLine[];
    expect(requests.map((r) => [r.method, r.url, r.status])).toEqual([
      ['GET', '/health/live', 200],
      ['GET', '/books', 200],
      ['GET', '/books?limit=1', 200],
      ['POST', '/books', 201],
      ['GET', '/books/00000000-0000-4000-8000-000000000000', 404],
      ['GET', '/books', 500],
    ]);
    expect(requests.map((r) => r.requestId)).toEqual([
      ...responses.map((res) => res.headers['x-request-id']),
      failedId!,
    ]);
    for (const r of requests) expect(r.ms).toBeGreaterThanOrEqual(0);

    const failure = lines.find((l) => l.level === 'error' && String(l.message).includes(`request ${failedId!}`));
    expect(String(failure?.err?.stack)).toMatch(/^QueryFailedError: relation "books" does not exist\n +at /);
    // The service runs as one bundle; its frames still name the TypeScript file and line.
    expect(String(failure?.err?.stack)).toMatch(/\bat .*[/(]src\/books\/[\w.-]+\.ts:\d+:\d+\)?$/m);

    // TypeORM's query log, in the app's format; parameter values (user data) stay out of it.
    const queries = lines.filter((l) => l.context === 'TypeORM' && l.level === 'debug').map((l) => String(l.message));
    expect(queries.some((q) => /^INSERT INTO books /.test(q) && /-- \d+ parameter\(s\)$/.test(q))).toBe(true);
    expect(raw.join('\n')).not.toContain(title);
  });

  it('development: readable lines, one per request with its id; no query log without DB_LOGGING', async () => {
    const app = spawnApp({
      NODE_ENV: 'development',
      LOG_FORMAT: '', // development's default
      LOG_LEVEL: 'debug',
      ...serviceEnv(fx.db),
    });
    let exercised: Awaited<ReturnType<typeof exercise>>;
    try {
      exercised = await exercise(await waitForListening(app));
    } finally {
      await app.stop();
    }
    const lines = app.output().split('\n').filter(Boolean);
    for (const line of lines) expect(() => JSON.parse(line) as unknown).toThrow();

    const { responses } = exercised;
    expectRequestIds(responses);
    const http = lines.filter((line) => line.includes('[HTTP]'));
    expect(http).toHaveLength(responses.length);
    const expected = ['GET /health/live 200', 'GET /books 200', 'GET /books?limit=1 200', 'POST /books 201'];
    expected.push('GET /books/00000000-0000-4000-8000-000000000000 404');
    http.forEach((line, i) => {
      expect(line).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO \(\d+\): \[HTTP\] /);
      expect(line).toContain(`${expected[i]} `);
      expect(line.endsWith(`ms id=${String(responses[i].headers['x-request-id'])}`)).toBe(true);
    });
    expect(lines.filter((line) => line.includes('[TypeORM]') && /SELECT|INSERT/.test(line))).toEqual([]);
  });
});
