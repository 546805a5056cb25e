import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { bookInput } from './factories/book.factory';
import { OtlpReceiver, ReceivedSpan, startOtlpReceiver } from './helpers/otlp-receiver';
import { SpawnedApp, spawnApp, waitForListening, useSpawnedApp } from './helpers/spawn-app';
import { serviceEnv } from './helpers/test-database';

const SERVER = 2;
const CLIENT = 3;

/** The request line: pino puts the logged object's fields at the top level. */
interface HttpLine {
  context?: string;
  method: string;
  url: string;
  status: number;
  trace_id?: string;
  span_id?: string;
}

const httpLines = (app: SpawnedApp) =>
  app
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as HttpLine)
    .filter((line) => line.context === 'HTTP' && typeof line.method === 'string');

const statementOf = (span: ReceivedSpan) => String(span.attributes['db.query.text'] ?? span.attributes['db.statement']);

describe('tracing', () => {
  const fx = useSpawnedApp('tracing');

  const start = (env: Record<string, string>): SpawnedApp =>
    spawnApp({
      NODE_ENV: 'production',
      // Production's default metrics port is fixed; tests pick a free one.
      METRICS_PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'log',
      LOG_FORMAT: '', // production's default: JSON
      ...serviceEnv(fx.db),
      ...env,
    });

  it('exports over OTLP/HTTP a server span per request, honouring traceparent, with a child span per query and no parameter values', async () => {
    const receiver: OtlpReceiver = await startOtlpReceiver();
    const traceId = randomBytes(16).toString('hex');
    const callerSpanId = randomBytes(8).toString('hex');
    const book = bookInput({ title: `Traced Secret ${randomBytes(6).toString('hex')}` });
    const credential = `cred${randomBytes(8).toString('hex')}`;
    const app = start({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, LOG_LEVEL: 'debug', DB_LOGGING: 'true' });
    let id: string;
    try {
      const base = await waitForListening(app);
      const created = await request(base)
        .post('/books')
        .set('traceparent', `00-${traceId}-${callerSpanId}-01`)
        .send(book)
        .expect(201);
      id = String(created.body.id);
      await request(base).get(`/books/${id}`).expect(200);
      // Unknown query parameters are refused (400), and still traced.
      await request(base).get(`/books?limit=1&access_token=${credential}&API_KEY=${credential}`).expect(400);
      await request(base).get('/health/live').expect(200);
    } finally {
      // Shutdown exports what the batch processor still holds.
      expect(await app.stop()).toEqual({ code: 0, signal: null });
      await receiver.close();
    }

    expect(new Set(receiver.contentTypes)).toEqual(new Set(['application/json']));
    const spans = receiver.spans;
    expect(new Set(spans.map((s) => s.serviceName))).toEqual(new Set(['bookapi']));
    const servers = spans.filter((s) => s.kind === SERVER);
    // One server span per request, named by route template; the health probe is not traced.
    expect(servers.map((s) => [s.name, s.attributes['http.route']]).sort()).toEqual([
      ['GET /books', '/books'],
      ['GET /books/:id', '/books/:id'],
      ['POST /books', '/books'],
    ]);
    // A credential sent in the query string (never read, see docs/security.md) is masked in the span.
    expect(servers.find((s) => s.name === 'GET /books')!.attributes['url.query']).toBe(
      'limit=1&access_token=REDACTED&API_KEY=REDACTED',
    );
    expect(JSON.stringify(spans)).not.toContain(credential);

    const post = servers.find((s) => s.name === 'POST /books')!;
    expect({ traceId: post.traceId, parent: post.parentSpanId }).toEqual({ traceId, parent: callerSpanId });
    const isQuery = (s: ReceivedSpan) => s.kind === CLIENT && statementOf(s) !== 'undefined';
    const postQueries = spans.filter((s) => isQuery(s) && s.traceId === traceId);
    const insert = postQueries.find((s) => /^INSERT INTO books /.test(statementOf(s)));
    expect(insert).toBeDefined();
    expect(statementOf(insert!)).toContain('$1');
    // Each query span hangs under a span of the request's own trace, whose root is the server span.
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    for (const query of postQueries) {
      let parent = query.parentSpanId ? byId.get(query.parentSpanId) : undefined;
      while (parent && parent.kind !== SERVER) parent = parent.parentSpanId ? byId.get(parent.parentSpanId) : undefined;
      expect({ statement: statementOf(query), root: parent?.spanId }).toEqual({
        statement: statementOf(query),
        root: post.spanId,
      });
    }

    const get = servers.find((s) => s.name === 'GET /books/:id')!;
    expect(get.traceId).not.toBe(traceId);
    expect(get.parentSpanId || undefined).toBeUndefined();
    const select = spans.filter((s) => isQuery(s) && s.traceId === get.traceId && /^SELECT/.test(statementOf(s)));
    expect(select.length).toBeGreaterThanOrEqual(1);
    expect(select.every((s) => statementOf(s).includes('$1') && !statementOf(s).includes(id!))).toBe(true);

    // No bound value (user data) in any span.
    expect(JSON.stringify(spans)).not.toContain(book.title);

    // The request log line names the trace and the server span.
    const lines = httpLines(app);
    const postLine = lines.find((l) => l.method === 'POST' && l.url === '/books');
    expect(postLine).toEqual(expect.objectContaining({ status: 201, trace_id: traceId, span_id: post.spanId }));
    const getLine = lines.find((l) => l.method === 'GET' && l.url === `/books/${id!}`);
    expect(getLine).toEqual(expect.objectContaining({ trace_id: get.traceId, span_id: get.spanId }));

    // Every line made inside a traced request carries the ids, not only the request line: here
    // TypeORM's query log (DB_LOGGING), written before pg runs the INSERT.
    const logged = app
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { context?: string; message?: string; trace_id?: string; span_id?: string });
    const insertLine = logged.find((l) => l.context === 'TypeORM' && /^INSERT INTO books /.test(String(l.message)));
    expect(insertLine).toEqual(expect.objectContaining({ trace_id: traceId }));
    expect(spans.filter((s) => s.traceId === traceId).map((s) => s.spanId)).toContain(insertLine!.span_id);
    // Outside a request (startup, shutdown) there is no trace to name.
    expect(logged.find((l) => l.context === 'Bootstrap')).not.toHaveProperty('trace_id');
  });

  it('samples by OTEL_TRACES_SAMPLER: at ratio 0 a new trace is not recorded, a caller-sampled one is', async () => {
    const receiver: OtlpReceiver = await startOtlpReceiver();
    const sampled = randomBytes(16).toString('hex');
    const notSampled = randomBytes(16).toString('hex');
    const app = start({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0',
    });
    try {
      const base = await waitForListening(app);
      await request(base).get('/books?limit=1').expect(200);
      await request(base)
        .get('/books?limit=2')
        .set('traceparent', `00-${sampled}-${randomBytes(8).toString('hex')}-01`);
      await request(base)
        .get('/books?limit=3')
        .set('traceparent', `00-${notSampled}-${randomBytes(8).toString('hex')}-00`)
        .expect(200);
    } finally {
      expect(await app.stop()).toEqual({ code: 0, signal: null });
      await receiver.close();
    }
    // Only the request whose caller sampled it was recorded: its server span and its queries.
    expect(new Set(receiver.spans.map((s) => s.traceId))).toEqual(new Set([sampled]));
    expect(receiver.spans.filter((s) => s.kind === SERVER).map((s) => s.name)).toEqual(['GET /books']);
    expect(receiver.spans.some((s) => s.kind === CLIENT && /^SELECT/.test(statementOf(s)))).toBe(true);
    // The log still names every request's trace, recorded or not, so a line can be matched to a caller's trace.
    const traced = httpLines(app).filter((l) => l.url.startsWith('/books?limit='));
    expect(traced.map((l) => l.trace_id)).toEqual([expect.stringMatching(/^[0-9a-f]{32}$/), sampled, notSampled]);
  });

  it('is off by default: no trace ids in the log, traceparent ignored', async () => {
    const app = start({});
    try {
      const base = await waitForListening(app);
      const traceparent = `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;
      await request(base).get('/books').set('traceparent', traceparent).expect(200);
    } finally {
      expect(await app.stop()).toEqual({ code: 0, signal: null });
    }
    const line = httpLines(app).find((l) => l.url === '/books');
    expect(line).toEqual(expect.objectContaining({ method: 'GET', status: 200 }));
    expect(Object.keys(line!)).not.toContain('trace_id');
  });
});
