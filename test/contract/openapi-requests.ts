import fc from 'fast-check';
import { MAX_OFFSET_ROWS } from '../../src/books/dto/offset-cap';
import {
  flatten,
  Huge,
  invalidIsbn,
  invalidUuid,
  invalidValue,
  Schema,
  validString,
  validValue,
} from './schema-arbitraries';

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema: Schema;
}

export interface ResponseDoc {
  content?: Record<string, { schema?: Schema }>;
  headers?: Record<string, { required?: boolean }>;
}

/** One operation of the dereferenced document. */
export interface Operation {
  operationId: string;
  method: string;
  path: string;
  parameters: Parameter[];
  body?: Schema;
  responses: Record<string, ResponseDoc>;
}

interface OpenApiDocument {
  paths: Record<string, Record<string, Omit<Operation, 'method' | 'path' | 'body'> & { requestBody?: ResponseDoc }>>;
}

export function operationsOf(document: OpenApiDocument): Operation[] {
  const out: Operation[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, op] of Object.entries(item)) {
      out.push({
        operationId: op.operationId,
        method: method.toUpperCase(),
        path,
        parameters: op.parameters ?? [],
        body: op.requestBody?.content?.['application/json']?.schema,
        responses: op.responses,
      });
    }
  }
  return out;
}

/** Stand-ins resolved when the request is sent: a book created for this run, and its ETags. */
export const EXISTING_ID = '<id of a book created for this run>';
export const CURRENT_ETAG = '<its current ETag>';
export const STALE_ETAG = '<an ETag it never had>';

export type RequestKind = 'valid' | 'invalid' | 'odd';

/**
 * A generated request. `valid` conforms to the document, `invalid` breaks it in one place
 * (`why` says where), `odd` is legal HTTP whose outcome the document leaves open.
 */
export interface ApiRequest {
  kind: RequestKind;
  why: string;
  pathParams: Record<string, string>;
  query: [string, string][];
  headers: Record<string, string>;
  body?: { contentType?: string; json?: unknown; raw?: string };
}

/** Printable ASCII only: anything else cannot go into an HTTP header. */
const headerText = fc.string({
  unit: fc.constantFrom(...' !"#$%&\'()*+,-./0123456789:;<=>?@ABCWXYZ[\\]^_`abwxyz{|}~'),
  maxLength: 30,
});

/** Query values as text; huge ones are cut to fit Node's 16 KiB header limit (its 431 is not ours). */
function queryText(value: unknown): string {
  if (value instanceof Huge) return new Huge(value.unit, 1000).toString();
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function invalidQueryValue(schema: Schema): fc.Arbitrary<string> {
  schema = flatten(schema);
  const options: fc.Arbitrary<string>[] = [];
  if (schema.enum) {
    options.push(
      fc.constantFrom('', 'ASC', 'Title', 'random', 'title,author').filter((v) => !schema.enum!.includes(v)),
    );
  } else if (schema.type === 'integer' || schema.type === 'number') {
    options.push(fc.constantFrom('abc', '1.5', '', ' ', 'NaN', 'Infinity', '-', '1,2', '[1]', '１'));
    if (schema.minimum !== undefined) options.push(fc.constant(String(schema.minimum - 1)));
    if (schema.maximum !== undefined) options.push(fc.constantFrom(String(schema.maximum + 1), '1e400'));
  } else if (schema.type === 'string') {
    if (schema.format === 'isbn') options.push(invalidIsbn);
    if (schema.format === 'uuid') options.push(invalidUuid);
    if ((schema.minLength ?? 0) >= 1 || schema.pattern) options.push(fc.constant(''));
    options.push(
      invalidValue(schema)
        // Only body strings are trimmed; a blank query value is a legal (if odd) search.
        .filter((v) => v instanceof Huge || (typeof v === 'string' && (v === '' || v.trim() !== '')))
        .map(queryText),
    );
  }
  return fc.oneof(...options);
}

/** ETag headers: the semantics live in the service, not in the schema. */
const etagValid = fc.constantFrom(CURRENT_ETAG, '*');
const etagOdd = fc.oneof(
  fc.constantFrom('', '""', 'W/"1"', '"1", "2"', '"-1"', '"01"', '"99999999999"', STALE_ETAG, `W/${CURRENT_ETAG}`),
  headerText,
);
const isEtagHeader = (name: string) => /^if-(none-)?match$/i.test(name);

function validHeader(p: Parameter): fc.Arbitrary<string | undefined> {
  // A header whose schema has a pattern (Consistency-Token) is valid only when it matches it.
  const value = isEtagHeader(p.name)
    ? etagValid
    : flatten(p.schema).pattern
      ? validValue(p.schema).map((v) => String(v))
      : validString(1, 20).filter((v) => /^[ -~]*$/.test(v));
  return p.required ? value : fc.option(value, { nil: undefined, freq: 2 });
}

/**
 * What the schema cannot say. An opaque cursor is valid only when the service issued it: a
 * valid request starts at `*` (the first page). OpenAPI 3.0 cannot state that two query
 * parameters exclude each other: a valid request sends only the first of the pair. Nor that
 * page × limit stays within the offset cap (the `page` description says it): a valid request
 * with a larger product asks for the last page under the cap instead.
 */
const VALID_QUERY_OVERRIDES: Record<string, fc.Arbitrary<unknown>> = { cursor: fc.constant('*') };
const EXCLUSIVE_QUERY_PARAMETERS: [string, string][] = [['cursor', 'page']];

function withoutExclusive(query: [string, string][], defaultLimit: number): [string, string][] {
  const names = new Set(query.map(([name]) => name));
  const dropped = new Set(
    EXCLUSIVE_QUERY_PARAMETERS.filter(([a, b]) => names.has(a) && names.has(b)).map(([, b]) => b),
  );
  return withinOffsetCap(
    query.filter(([name]) => !dropped.has(name)),
    defaultLimit,
  );
}

function withinOffsetCap(query: [string, string][], defaultLimit: number): [string, string][] {
  const limit = Number(query.find(([name]) => name === 'limit')?.[1] ?? defaultLimit);
  return query.map(([name, value]) =>
    name === 'page' && Number(value) * limit > MAX_OFFSET_ROWS
      ? [name, String(Math.floor(MAX_OFFSET_ROWS / limit))]
      : [name, value],
  );
}

const existingOrRandomId: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constant(EXISTING_ID) },
  { weight: 1, arbitrary: fc.uuid() },
);

/** A request the document calls valid. Path ids are mostly a book that exists. */
export function validRequest(op: Operation): fc.Arbitrary<ApiRequest> {
  const path = op.parameters.filter((p) => p.in === 'path');
  const query = op.parameters.filter((p) => p.in === 'query');
  const headers = op.parameters.filter((p) => p.in === 'header');
  const defaultLimit = Number(query.find((p) => p.name === 'limit')?.schema.default ?? 1);
  return fc
    .record({
      pathParams: fc.record(
        Object.fromEntries(
          path.map((p) => [
            p.name,
            p.schema.format === 'uuid' ? existingOrRandomId : validValue(p.schema).map((v) => String(v)),
          ]),
        ),
      ),
      query: fc
        .tuple(
          ...query.map((p) => {
            const value = VALID_QUERY_OVERRIDES[p.name] ?? validValue(p.schema);
            return (p.required ? value : fc.option(value, { nil: undefined })).map((v) =>
              v === undefined ? [] : [[p.name, queryText(v)] as [string, string]],
            );
          }),
        )
        .map((pairs) => withoutExclusive(pairs.flat(), defaultLimit)),
      headers: fc
        .tuple(...headers.map((p) => validHeader(p).map((v) => (v === undefined ? [] : [[p.name, v] as const]))))
        .map((pairs) => Object.fromEntries(pairs.flat()) as Record<string, string>),
      body: op.body
        ? validValue(op.body).map((json) => ({ contentType: 'application/json', json }))
        : fc.constant(undefined),
    })
    .map((r) => ({ kind: 'valid' as const, why: 'conforms to the document', ...r }));
}

/** Body encodings the service must refuse whatever the schema: a 400, 413 or 415. */
const badEncodings: fc.Arbitrary<{ why: string; body: ApiRequest['body'] }> = fc.constantFrom(
  { why: 'malformed JSON', body: { contentType: 'application/json', raw: '{"title": "x",' } },
  { why: 'JSON with a trailing comma', body: { contentType: 'application/json', raw: '{"a":1,}' } },
  { why: 'JSON null', body: { contentType: 'application/json', raw: 'null' } },
  { why: 'a JSON string', body: { contentType: 'application/json', raw: '"book"' } },
  { why: 'a JSON number', body: { contentType: 'application/json', raw: '42' } },
  { why: 'a JSON array', body: { contentType: 'application/json', raw: '[]' } },
  { why: 'an empty JSON body', body: { contentType: 'application/json', raw: '' } },
  { why: 'text/plain', body: { contentType: 'text/plain', raw: '{"title":"x"}' } },
  { why: 'a form', body: { contentType: 'application/x-www-form-urlencoded', raw: 'title=x&author=y' } },
  { why: 'no content type', body: { raw: '{"title":"x"}' } },
  { why: 'a __proto__ key', body: { contentType: 'application/json', raw: '{"__proto__":{"admin":true}}' } },
  { why: 'a constructor key', body: { contentType: 'application/json', raw: '{"constructor":{"prototype":{}}}' } },
);

/** A valid request broken in exactly one place. */
export function invalidRequest(op: Operation): fc.Arbitrary<ApiRequest> {
  const base = validRequest(op);
  const breakers: fc.Arbitrary<ApiRequest>[] = [];
  const invalid = (why: string) => (r: ApiRequest) => ({ ...r, kind: 'invalid' as const, why });

  for (const p of op.parameters) {
    if (p.in === 'path') {
      breakers.push(
        fc
          .tuple(base, p.schema.format === 'uuid' ? invalidUuid : invalidQueryValue(p.schema))
          .map(([r, bad]) =>
            invalid(`path ${p.name} is invalid`)({ ...r, pathParams: { ...r.pathParams, [p.name]: bad } }),
          ),
      );
    } else if (p.in === 'query') {
      breakers.push(
        fc.tuple(base, invalidQueryValue(p.schema)).map(([r, bad]) =>
          invalid(`query ${p.name} is invalid`)({
            ...r,
            query: [...r.query.filter(([name]) => name !== p.name), [p.name, bad]],
          }),
        ),
        fc.tuple(base, validValue(p.schema), validValue(p.schema)).map(([r, a, b]) =>
          invalid(`query ${p.name} is repeated`)({
            ...r,
            query: [...r.query.filter(([name]) => name !== p.name), [p.name, queryText(a)], [p.name, queryText(b)]],
          }),
        ),
      );
    } else if (p.in === 'header' && p.required) {
      breakers.push(
        base.map((r) => {
          const headers = { ...r.headers };
          delete headers[p.name];
          return invalid(`required header ${p.name} is missing`)({ ...r, headers });
        }),
      );
    }
  }
  const queryNames = new Set(op.parameters.filter((p) => p.in === 'query').map((p) => p.name));
  if (queryNames.size > 0) {
    breakers.push(
      fc
        .tuple(
          base,
          fc.oneof(
            fc.constantFrom('foo', 'Page', 'q[]', 'sort[0]', '__proto__', 'constructor', 'limit ', ''),
            fc.string({ minLength: 1, maxLength: 10 }),
          ),
          fc.string({ maxLength: 10 }),
        )
        .filter(([, name]) => !queryNames.has(name))
        .map(([r, name, value]) =>
          invalid(`unknown query parameter ${JSON.stringify(name)}`)({ ...r, query: [...r.query, [name, value]] }),
        ),
    );
  }
  if (op.body) {
    breakers.push(
      fc
        .tuple(base, invalidValue(op.body))
        .map(([r, json]) =>
          invalid('the body breaks its schema')({ ...r, body: { contentType: 'application/json', json } }),
        ),
      fc.tuple(base, badEncodings).map(([r, bad]) => invalid(`the body is ${bad.why}`)({ ...r, body: bad.body })),
    );
  }
  return breakers.length ? fc.oneof(...breakers) : base;
}

/** Legal HTTP the document says nothing precise about: odd ETags, stray query parameters, lone surrogates. */
export function oddRequest(op: Operation): fc.Arbitrary<ApiRequest> {
  const base = validRequest(op);
  const odd = (why: string) => (r: ApiRequest) => ({ ...r, kind: 'odd' as const, why });
  const options: fc.Arbitrary<ApiRequest>[] = [];
  for (const p of op.parameters.filter((q) => q.in === 'header' && isEtagHeader(q.name))) {
    options.push(
      fc
        .tuple(base, etagOdd)
        .map(([r, value]) => odd(`odd ${p.name}`)({ ...r, headers: { ...r.headers, [p.name]: value } })),
    );
  }
  if (!op.parameters.some((p) => p.in === 'query')) {
    options.push(
      fc
        .tuple(base, fc.string({ minLength: 1, maxLength: 8 }), fc.string({ maxLength: 8 }))
        .map(([r, name, value]) =>
          odd('a query parameter the operation does not take')({ ...r, query: [[name, value]] }),
        ),
    );
  }
  if (op.body) {
    // JSON may carry a lone surrogate; the service may keep or replace it, but must not fail.
    options.push(
      fc.tuple(base, fc.constantFrom('\uD800', '\uDFFF', 'a\uD83D', '\uDE00b')).map(([r, surrogate]) =>
        odd('a string with a lone surrogate')({
          ...r,
          body: { contentType: 'application/json', json: replaceStrings(r.body?.json, surrogate) },
        }),
      ),
    );
  }
  options.push(
    fc
      .tuple(base, fc.constantFrom('application/xml', 'text/html', '*/*', 'application/problem+json', 'garbage'))
      .map(([r, accept]) => odd(`Accept: ${accept}`)({ ...r, headers: { ...r.headers, Accept: accept } })),
  );
  return fc.oneof(...options);
}

/** Appends `suffix` to every string in a JSON value. */
function replaceStrings(value: unknown, suffix: string): unknown {
  if (typeof value === 'string') return value + suffix;
  if (Array.isArray(value)) return value.map((v) => replaceStrings(v, suffix));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replaceStrings(v, suffix)]));
  }
  return value;
}

export function anyRequest(op: Operation): fc.Arbitrary<ApiRequest> {
  return fc.oneof(
    { weight: 4, arbitrary: validRequest(op) },
    { weight: 5, arbitrary: invalidRequest(op) },
    { weight: 1, arbitrary: oddRequest(op) },
  );
}
