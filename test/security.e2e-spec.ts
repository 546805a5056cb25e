import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import request, { Response } from 'supertest';
import { bookInput } from './factories/book.factory';
import { expectProblem } from './helpers/expect-problem';
import { MAIN_JS, SpawnedApp, spawnApp, waitForListening } from './helpers/spawn-app';
import { startTestApp, TestApp } from './helpers/test-app';
import { adminUrl, createTestDatabase, query, TestDatabase } from './helpers/test-database';

/** Fails on anything in a response that reveals internals: stack frames, file paths, SQL. */
function expectNoInternals(res: Response): void {
  const text = res.text ?? '';
  expect(text).not.toMatch(/\bat \S+ \(|\w\.(ts|js):\d+|node_modules|\/work\/|\/app\/dist/);
  expect(text).not.toMatch(
    /\bSELECT\b|\bINSERT INTO\b|\bUPDATE "|\bDELETE FROM\b|relation "|QueryFailed|duplicate key/i,
  );
  expect(text).not.toMatch(/"stack"|SQLSTATE|\b42P01\b|\b23505\b/);
}

/** Helmet's headers for HTML documents: /docs has them, JSON responses do not. */
const DOCUMENT_ONLY_HEADERS = [
  'cross-origin-opener-policy',
  'origin-agent-cluster',
  'x-dns-prefetch-control',
  'x-download-options',
  'x-permitted-cross-domain-policies',
  'x-xss-protection',
];

describe('security', () => {
  describe('in-process app: headers, CORS, throttling, body limit', () => {
    let db: TestDatabase;
    let open: TestApp;
    let cors: TestApp;
    let throttled: TestApp;
    const allowed = 'https://app.example.com';

    beforeAll(async () => {
      db = await createTestDatabase('security');
      // Throttling configured but switched off, and no CORS origins.
      open = await startTestApp(db, { THROTTLE_ENABLED: 'false', THROTTLE_LIMIT: '3' });
      cors = await startTestApp(db, { CORS_ORIGINS: `${allowed}, http://localhost:5173` });
      throttled = await startTestApp(db, {
        THROTTLE_ENABLED: 'true',
        THROTTLE_LIMIT: '3',
        THROTTLE_TTL_MS: '60000',
      });
    });
    afterAll(async () => {
      await throttled?.close();
      await cors?.close();
      await open?.close();
      await db?.drop();
    });

    it("sends the API security headers on data, error and health responses, and helmet's on the docs", async () => {
      for (const [path, status] of [
        ['/books', 200],
        ['/books/00000000-0000-4000-8000-000000000000', 404],
        ['/no-such-route', 404],
        ['/health/live', 200],
      ] as const) {
        const res = await request(open.baseUrl).get(path);
        expect({ path, status: res.status }).toEqual({ path, status });
        expect(res.headers).toMatchObject({
          'content-security-policy': "default-src 'none';frame-ancestors 'none'",
          'x-content-type-options': 'nosniff',
          'x-frame-options': 'DENY',
          'referrer-policy': 'no-referrer',
          'strict-transport-security': expect.stringContaining('max-age='),
          'cross-origin-resource-policy': 'same-origin',
        });
        // Headers only an HTML document uses are not sent with JSON.
        for (const name of DOCUMENT_ONLY_HEADERS) expect({ path, [name]: res.headers[name] }).toEqual({ path });
        expect(res.headers['x-powered-by']).toBeUndefined();
      }

      const docs = await request(open.baseUrl).get('/docs').expect(200);
      expect(docs.headers).toMatchObject({
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'SAMEORIGIN',
        'referrer-policy': 'no-referrer',
        'strict-transport-security': expect.stringContaining('max-age='),
        'cross-origin-opener-policy': 'same-origin',
        'cross-origin-resource-policy': 'same-origin',
        'x-xss-protection': '0',
      });
      const csp = String(docs.headers['content-security-policy']);
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("object-src 'none'");
      expect(csp).toContain("frame-ancestors 'self'");
      expect(csp).not.toContain('upgrade-insecure-requests');
      expect(docs.headers['x-powered-by']).toBeUndefined();
    });

    it('answers CORS only for allowed origins', async () => {
      const fromAllowed = await request(cors.baseUrl).get('/books').set('Origin', allowed).expect(200);
      expect(fromAllowed.headers['access-control-allow-origin']).toBe(allowed);
      expect(fromAllowed.headers['access-control-expose-headers']).toMatch(/ETag/i);
      expect(fromAllowed.headers.vary).toMatch(/Origin/i);

      const preflight = await request(cors.baseUrl)
        .options('/books/00000000-0000-4000-8000-000000000000')
        .set('Origin', allowed)
        .set('Access-Control-Request-Method', 'PATCH')
        .set('Access-Control-Request-Headers', 'if-match, content-type');
      expect(preflight.status).toBe(204);
      expect(preflight.headers['access-control-allow-origin']).toBe(allowed);
      expect(preflight.headers['access-control-allow-methods']).toContain('PATCH');
      expect(preflight.headers['access-control-allow-headers']).toMatch(/If-Match/i);
      // A browser app on an allowed origin can send a credential and read the challenge.
      expect(preflight.headers['access-control-allow-headers']).toMatch(/Authorization.*X-API-Key/i);
      expect(fromAllowed.headers['access-control-expose-headers']).toMatch(/WWW-Authenticate/i);

      for (const origin of ['https://evil.example.com', 'https://app.example.com.evil.net', 'null']) {
        const res = await request(cors.baseUrl).get('/books').set('Origin', origin).expect(200);
        expect({ origin, acao: res.headers['access-control-allow-origin'] }).toEqual({ origin, acao: undefined });
        const denied = await request(cors.baseUrl)
          .options('/books')
          .set('Origin', origin)
          .set('Access-Control-Request-Method', 'POST');
        expect(denied.headers['access-control-allow-origin']).toBeUndefined();
      }

      // Without CORS_ORIGINS no origin is allowed, not even a well-formed one.
      const none = await request(open.baseUrl).get('/books').set('Origin', allowed).expect(200);
      expect(none.headers['access-control-allow-origin']).toBeUndefined();
    });

    it('throttles per client with 429 problem+json and Retry-After, never the health probes', async () => {
      for (let i = 0; i < 3; i++) await request(throttled.baseUrl).get('/books').expect(200);
      const limited = await request(throttled.baseUrl).get('/books');
      expectProblem(limited, 429, { type: 'too-many-requests', detail: /Too many requests/ });
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      // Other routes share the client's budget.
      expect((await request(throttled.baseUrl).post('/books').send(bookInput())).status).toBe(429);
      await expect(query(db.url, 'SELECT count(*)::int AS n FROM books')).resolves.toEqual([{ n: 0 }]);

      for (let i = 0; i < 10; i++) {
        await request(throttled.baseUrl).get('/health/live').expect(200);
        await request(throttled.baseUrl).get('/health/ready').expect(200);
      }
      // Turned off, the same limit never answers 429.
      for (let i = 0; i < 10; i++) await request(open.baseUrl).get('/books').expect(200);
    });

    it('answers 413 problem+json for a body over BODY_LIMIT_BYTES, and stores nothing', async () => {
      const before = await query(db.url, 'SELECT count(*)::int AS n FROM books');
      // The default limit is 1 MiB.
      const big = await request(open.baseUrl)
        .post('/books')
        .set('Content-Type', 'application/json')
        .send(JSON.stringify(bookInput({ summary: 'x'.repeat(1_100_000) })));
      expectProblem(big, 413, { type: 'payload-too-large' });
      expectNoInternals(big);
      await expect(query(db.url, 'SELECT count(*)::int AS n FROM books')).resolves.toEqual(before);

      const small = await startTestApp(db, { BODY_LIMIT_BYTES: '2048' });
      try {
        const over = await request(small.baseUrl)
          .post('/books')
          .set('Content-Type', 'application/json')
          .send(JSON.stringify(bookInput({ summary: 'y'.repeat(3000) })));
        expectProblem(over, 413, { type: 'payload-too-large' });
        await request(small.baseUrl)
          .post('/books')
          .send(bookInput({ summary: 'z'.repeat(1500) }))
          .expect(201);
      } finally {
        await small.close();
      }
    });
  });

  describe('built app in production with a password in its URLs', () => {
    // Characters that URLs must encode, so raw and encoded forms differ.
    const password = `Pw:${randomBytes(6).toString('hex')}@/?#%+&=`;
    const wrongPassword = `Wr0ng:${randomBytes(6).toString('hex')}@/%?`;
    const role = `bookapi_test_sec_${randomBytes(3).toString('hex')}`;
    const embedded = adminUrl('embedded');
    let db: TestDatabase;
    let roleUrl: URL;

    const withPassword = (url: URL, secret: string, database: string): URL => {
      const copy = new URL(url.toString());
      copy.username = role;
      copy.password = encodeURIComponent(secret);
      copy.pathname = `/${database}`;
      return copy;
    };
    const forms = (secret: string) => [
      secret,
      encodeURIComponent(secret),
      withPassword(embedded, secret, 'x').password,
    ];

    beforeAll(async () => {
      if (!fs.existsSync(MAIN_JS)) throw new Error(`${MAIN_JS} is missing: run npx nest build first`);
      // The embedded test server enforces passwords; this role's password needs URL encoding.
      await query(embedded, `CREATE ROLE "${role}" LOGIN CREATEDB PASSWORD '${password.replace(/'/g, "''")}'`);
      // The app creates the database itself, through the admin URL, with the password.
      db = await createTestDatabase('security_prod', { server: 'embedded', create: false });
      roleUrl = withPassword(embedded, password, db.name);
    });
    afterAll(async () => {
      await db?.drop();
      await query(embedded, `DROP ROLE IF EXISTS "${role}"`);
    });

    it('answers failing requests without stack traces or SQL, and never logs the password', async () => {
      const app: SpawnedApp = spawnApp({
        NODE_ENV: 'production',
        // Production's default metrics port is fixed; tests pick a free one.
        METRICS_PORT: '0',
        LOG_FORMAT: '',
        LOG_LEVEL: 'debug',
        DB_LOGGING: 'true',
        HOST: '127.0.0.1',
        DATABASE_URL: roleUrl.toString(),
        DATABASE_ADMIN_URL: withPassword(embedded, password, 'postgres').toString(),
      });
      try {
        const base = await waitForListening(app);
        const book = bookInput();
        const created = await request(base).post('/books').send(book).expect(201);
        const responses: Response[] = [
          await request(base).post('/books').send(book), // 409: unique violation in PostgreSQL
          await request(base).post('/books').set('Content-Type', 'application/json').send('{"title": '), // 400
          await request(base)
            .post('/books')
            .send({ ...bookInput(), publishedYear: 'soon' }), // 400
          await request(base).post('/books').set('Content-Type', 'text/plain').send('hello'), // 415
          await request(base).get('/books/not-a-uuid'),
          await request(base).get('/books/00000000-0000-4000-8000-000000000000'), // 404
          await request(base).patch(`/books/${created.body.id}`).send({ title: 'No If-Match' }), // 428
          await request(base).get('/nowhere'),
          await request(base)
            .post('/books')
            .set('Content-Type', 'application/json')
            .send(JSON.stringify(bookInput({ summary: 'x'.repeat(1_100_000) }))), // 413
        ];
        // An unexpected database error: the table disappears under the running app.
        await query(db.url, 'ALTER TABLE books RENAME TO books_hidden');
        try {
          const broken = [await request(base).get('/books'), await request(base).post('/books').send(bookInput())];
          for (const res of broken) {
            expectProblem(res, 500, { type: 'internal-error' });
            expect(res.body.detail).toBe('An unexpected error occurred; it has been logged');
          }
          responses.push(...broken);
        } finally {
          await query(db.url, 'ALTER TABLE books_hidden RENAME TO books');
        }
        expect(responses.map((res) => res.status)).toEqual([409, 400, 400, 415, 400, 404, 428, 404, 413, 500, 500]);
        for (const res of responses) expectNoInternals(res);
        await request(base).get('/books').expect(200);
      } finally {
        await app.stop();
      }

      const output = app.output();
      // The run did log what could have carried the password: queries, connections, errors.
      expect(output).toContain('"context":"TypeORM"');
      expect(output).toMatch(/GET \/books failed \(request [\w-]+\)/);
      expect(output).toContain(`${role}:***@`);
      for (const form of forms(password)) expect(output).not.toContain(form);
    });

    it('never logs a wrong password either, and says what failed', async () => {
      const app = spawnApp({
        LOG_LEVEL: 'debug',
        DB_LOGGING: 'true',
        DB_STARTUP_DEADLINE_MS: '3000',
        DATABASE_URL: withPassword(embedded, wrongPassword, db.name).toString(),
        DATABASE_ADMIN_URL: withPassword(embedded, wrongPassword, 'postgres').toString(),
      });
      const exit = await app.exited;
      expect(exit.code).toBe(1);
      const output = app.output();
      expect(output).toMatch(/Startup failed: Password authentication failed for user "bookapi_test_sec_\w+".*28P01/);
      for (const form of forms(wrongPassword)) expect(output).not.toContain(form);
    });
  });
});
