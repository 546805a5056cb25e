import SwaggerParser from '@apidevtools/swagger-parser';
import Ajv, { ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import fc from 'fast-check';
import { startTestApp, TestApp } from '../helpers/test-app';
import { createTestDatabase, TestDatabase } from '../helpers/test-database';
import {
  anyRequest,
  ApiRequest,
  CURRENT_ETAG,
  EXISTING_ID,
  Operation,
  operationsOf,
  STALE_ETAG,
} from './openapi-requests';
import { normalisedIsbn } from './schema-arbitraries';

/** Bounded and repeatable in CI; CONTRACT_RUNS / CONTRACT_SEED widen or vary a local run. */
const RUNS = Number(process.env.CONTRACT_RUNS ?? 100);
const SEED = Number(process.env.CONTRACT_SEED ?? 20261125);

interface Reply {
  status: number;
  mediaType: string;
  headers: Headers;
  text: string;
  json?: unknown;
}

type Book = Record<string, unknown> & { id: string; version: number; isbn: string };

const json = (body: unknown): ApiRequest['body'] => ({ contentType: 'application/json', json: body });
const aBook = { title: 'T', author: 'A', isbn: '0441172717', publishedYear: 1965 };
const none = { pathParams: {}, query: [], headers: {} };

/** Shrunk counterexamples fuzzing once found (each was a 500); replayed before the generated runs. */
const REGRESSIONS: Record<string, ApiRequest[]> = {
  createBook: [{ ...none, kind: 'invalid', why: 'NUL in a string', body: json({ ...aBook, title: '\u000e\u0000' }) }],
  createBooksBatch: [{ ...none, kind: 'invalid', why: 'an item that is an array', body: json({ books: [[]] }) }],
  listBooks: [{ ...none, kind: 'invalid', why: 'NUL in a filter', query: [['author', '\u0001\u0000']] }],
  updateBook: [
    {
      ...none,
      kind: 'invalid',
      why: 'NUL in a string',
      pathParams: { id: EXISTING_ID },
      headers: { 'If-Match': CURRENT_ETAG },
      body: json({ title: '!\u0000' }),
    },
    {
      ...none,
      kind: 'invalid',
      why: 'over 300 code points, 150 as class-validator counts them',
      pathParams: { id: EXISTING_ID },
      headers: { 'If-Match': CURRENT_ETAG },
      body: json({ title: 'a\uFE0F'.repeat(151) }),
    },
  ],
  deleteBook: [
    { ...none, kind: 'odd', why: 'an empty If-Match', pathParams: { id: EXISTING_ID }, headers: { 'If-Match': '' } },
  ],
};

/**
 * A REST consumer that reads only the published document: fast-check builds valid, broken
 * and odd requests for every operation of the live /docs-json, and each answer must be one
 * the document lists, in the shape it documents, and never a 5xx.
 */
describe('contract: every operation of /docs-json under generated requests', () => {
  let db: TestDatabase;
  let app: TestApp;
  let operations: Operation[];
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  // `isbn` is our own format: requests only; responses carry a pattern.
  ajv.addFormat('isbn', /^[0-9Xx\s-]+$/);
  const validators = new Map<object, ValidateFunction>();
  /** operationId -> "kind status" -> count, printed at the end to show what the runs covered. */
  const coverage = new Map<string, Record<string, number>>();
  let fixtureSerial = Math.floor(Math.random() * 1e6);

  beforeAll(async () => {
    db = await createTestDatabase('contract');
    app = await startTestApp(db);
  });

  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  async function call(
    method: string,
    path: string,
    init: { query?: [string, string][]; headers?: Record<string, string>; body?: string } = {},
  ): Promise<Reply> {
    const url = new URL(path, app.baseUrl);
    for (const [name, value] of init.query ?? []) url.searchParams.append(name, value);
    const response = await fetch(url, { method, headers: init.headers, body: init.body, redirect: 'manual' });
    const text = await response.text();
    const mediaType = (response.headers.get('content-type') ?? '').split(';')[0].trim();
    let json: unknown;
    if (/json$/.test(mediaType) && text) json = JSON.parse(text);
    return { status: response.status, mediaType, headers: response.headers, text, json };
  }

  /** A valid ISBN-13 of the 979-9 range the generators rarely hit, unique to this run. */
  function fixtureIsbn(): string {
    const body = '9799' + String(fixtureSerial++ % 1e8).padStart(8, '0');
    let sum = 0;
    for (let i = 0; i < 12; i++) sum += Number(body[i]) * (i % 2 === 0 ? 1 : 3);
    return body + String((10 - (sum % 10)) % 10);
  }

  async function createFixture(): Promise<Book> {
    const reply = await call('POST', '/books', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'Fixture', author: 'Contract', isbn: fixtureIsbn(), publishedYear: 2000 }),
    });
    if (reply.status !== 201) throw new Error(`fixture create answered ${reply.status}: ${reply.text}`);
    return reply.json as Book;
  }

  /** Response schemas are closed: a field the service sends but the document omits is drift. */
  function closed(schema: unknown): unknown {
    if (Array.isArray(schema)) return schema.map(closed);
    if (!schema || typeof schema !== 'object') return schema;
    const copy = Object.fromEntries(Object.entries(schema).map(([key, value]) => [key, closed(value)]));
    if ('properties' in copy && !('additionalProperties' in copy)) copy.additionalProperties = false;
    return copy;
  }

  function validatorFor(schema: object): ValidateFunction {
    let validate = validators.get(schema);
    if (!validate) {
      validate = ajv.compile(closed(schema) as object);
      validators.set(schema, validate);
    }
    return validate;
  }

  /** Properties every answer must have, whatever was asked. */
  function checkAgainstDocument(op: Operation, reply: Reply): void {
    const where = `${op.operationId} answered ${reply.status} ${reply.mediaType || '(no content type)'}`;
    if (reply.status >= 500) throw new Error(`${where}: a server error: ${reply.text.slice(0, 500)}`);
    const documented = op.responses[String(reply.status)] ?? op.responses.default;
    if (!documented) {
      throw new Error(
        `${where}: status not documented (documented: ${Object.keys(op.responses).join(', ')}): ${reply.text.slice(0, 300)}`,
      );
    }
    const content = documented.content ?? {};
    if (Object.keys(content).length === 0) {
      if (reply.text !== '')
        throw new Error(`${where}: documented without a body, but sent ${reply.text.slice(0, 200)}`);
      return;
    }
    const media = content[reply.mediaType];
    if (!media) throw new Error(`${where}: media type not documented (documented: ${Object.keys(content).join(', ')})`);
    if (media.schema) {
      const validate = validatorFor(media.schema);
      if (!validate(reply.json)) {
        throw new Error(
          `${where}: body does not match its schema: ${ajv.errorsText(validate.errors)}\n${reply.text.slice(0, 500)}`,
        );
      }
    }
    if (reply.status < 300) {
      // Stricter than OpenAPI's default: a documented header must be sent unless it says required: false.
      for (const [header, doc] of Object.entries(documented.headers ?? {})) {
        if (doc.required === false) continue;
        if (!reply.headers.has(header)) throw new Error(`${where}: documented header ${header} is missing`);
      }
    }
  }

  /** What a request the document calls valid may get: success, or a semantic refusal. */
  function checkValidOutcome(op: Operation, request: ApiRequest, existing: boolean, reply: Reply): void {
    const where = `${op.operationId} answered ${reply.status} to a valid request`;
    if ([400, 415, 428].includes(reply.status)) throw new Error(`${where}: ${reply.text.slice(0, 400)}`);
    if (existing && (reply.status === 404 || reply.status === 412))
      throw new Error(`${where} about a book that exists`);
    const randomId = Object.values(request.pathParams).some((v) => v !== EXISTING_ID);
    if (randomId && reply.status !== 404) {
      throw new Error(`${where} about a random id: expected 404`);
    }
  }

  /** What a request broken in one place must get: refused as a bad request. */
  function checkInvalidOutcome(op: Operation, request: ApiRequest, reply: Reply): void {
    if (![400, 413, 415, 428].includes(reply.status)) {
      throw new Error(
        `${op.operationId} answered ${reply.status} to an invalid request (${request.why}): ${reply.text.slice(0, 400)}`,
      );
    }
  }

  /** Reads back what a successful write claims to have stored. */
  async function checkReadBack(op: Operation, request: ApiRequest, reply: Reply, before?: Book): Promise<void> {
    const sent = (request.body?.json ?? {}) as Record<string, unknown>;
    const expectStored = (book: Book, input: Record<string, unknown>) => {
      for (const [key, value] of Object.entries(input)) {
        const expected = key === 'isbn' ? normalisedIsbn(String(value)) : value;
        if (book[key] !== expected) {
          throw new Error(
            `${op.operationId}: ${key} came back as ${JSON.stringify(book[key])}, sent ${JSON.stringify(expected)}`,
          );
        }
      }
    };
    const readBack = async (book: Book) => {
      const got = await call('GET', `/books/${book.id}`);
      if (got.status !== 200 || JSON.stringify(got.json) !== JSON.stringify(book)) {
        throw new Error(
          `${op.operationId}: GET /books/${book.id} answered ${got.status} ${got.text} after the write returned ${JSON.stringify(book)}`,
        );
      }
      if (got.headers.get('etag') !== `"${book.version}"`)
        throw new Error(`${op.operationId}: ETag ${got.headers.get('etag')} for version ${book.version}`);
    };
    if (op.operationId === 'createBook' && reply.status === 201) {
      const book = reply.json as Book;
      expectStored(book, sent);
      if (book.version !== 1) throw new Error(`createBook: a new book has version ${book.version}`);
      if (reply.headers.get('location') !== `/books/${book.id}`)
        throw new Error(`createBook: Location ${reply.headers.get('location')}`);
      await readBack(book);
    } else if (op.operationId === 'createBooksBatch' && reply.status === 201) {
      const input = (sent.books ?? []) as Record<string, unknown>[];
      const data = (reply.json as { data: Book[] }).data;
      if (data.length !== input.length)
        throw new Error(`createBooksBatch: sent ${input.length}, created ${data.length}`);
      data.forEach((book, i) => expectStored(book, input[i]));
      for (const book of [data[0], data[data.length - 1]]) await readBack(book);
    } else if (op.operationId === 'updateBook' && reply.status === 200 && before) {
      const book = reply.json as Book;
      expectStored(book, sent);
      if (book.version !== before.version + 1)
        throw new Error(`updateBook: version ${before.version} became ${book.version}`);
      await readBack(book);
    } else if (op.operationId === 'deleteBook' && reply.status === 204 && before) {
      const got = await call('GET', `/books/${before.id}`);
      if (got.status !== 404) throw new Error(`deleteBook: the deleted book still answers ${got.status}`);
    }
  }

  async function send(op: Operation, request: ApiRequest): Promise<void> {
    const usesExisting = Object.values(request.pathParams).includes(EXISTING_ID);
    const book = usesExisting ? await createFixture() : undefined;
    const resolve = (value: string) =>
      value
        .replace(EXISTING_ID, book?.id ?? '')
        .replace(CURRENT_ETAG, `"${book?.version ?? 1}"`)
        .replace(STALE_ETAG, `"${(book?.version ?? 1) + 7}"`);
    const path = op.path.replace(/\{(\w+)\}/g, (_, name: string) =>
      encodeURIComponent(resolve(request.pathParams[name])),
    );
    const headers = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k, resolve(v)]));
    let body: string | undefined;
    if (request.body) {
      body = request.body.raw ?? JSON.stringify(request.body.json);
      if (request.body.contentType) headers['content-type'] = request.body.contentType;
    }
    const reply = await call(op.method, path, { query: request.query, headers, body });
    const seen = coverage.get(op.operationId) ?? {};
    seen[`${request.kind} ${reply.status}`] = (seen[`${request.kind} ${reply.status}`] ?? 0) + 1;
    coverage.set(op.operationId, seen);

    checkAgainstDocument(op, reply);
    if (request.kind === 'valid') {
      checkValidOutcome(op, request, usesExisting, reply);
      await checkReadBack(op, request, reply, book);
    } else if (request.kind === 'invalid') {
      checkInvalidOutcome(op, request, reply);
    }
  }

  it('the live document is valid OpenAPI 3 and every operation can be generated', async () => {
    const live = await call('GET', '/docs-json');
    expect(live.status).toBe(200);
    await expect(SwaggerParser.validate(structuredClone(live.json) as never)).resolves.toBeDefined();
    const dereferenced = await SwaggerParser.dereference(structuredClone(live.json) as never);
    operations = operationsOf(dereferenced as never);
    expect(operations.map((op) => op.operationId).sort()).toEqual(
      expect.arrayContaining(['createBook', 'createBooksBatch', 'deleteBook', 'getBook', 'listBooks', 'updateBook']),
    );
    for (const op of operations) expect(fc.sample(anyRequest(op), { numRuns: 20, seed: SEED })).toHaveLength(20);
  });

  it(`answers every generated request as documented (${RUNS} runs per operation, seed ${SEED})`, async () => {
    expect(operations?.length).toBeGreaterThan(0);
    const failures: string[] = [];
    for (const op of operations) {
      const result = await fc.check(
        fc.asyncProperty(anyRequest(op), (request) => send(op, request)),
        { numRuns: RUNS, seed: SEED, examples: (REGRESSIONS[op.operationId] ?? []).map((r) => [r]) },
      );
      if (result.failed) {
        const error =
          result.errorInstance instanceof Error ? result.errorInstance.message : String(result.errorInstance);
        failures.push(`${op.method} ${op.path} (${op.operationId}): ${error}\n${fc.defaultReportMessage(result)}`);
      }
    }
    console.log(
      [...coverage]
        .map(
          ([id, seen]) =>
            `${id.padEnd(18)} ${Object.entries(seen)
              .sort()
              .map(([k, n]) => `${k}:${n}`)
              .join('  ')}`,
        )
        .join('\n'),
    );
    if (failures.length) throw new Error(failures.join('\n\n'));
  });
});
