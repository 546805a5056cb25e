import autocannon from 'autocannon';
import { randomUUID } from 'node:crypto';
import { cpuMicros, rssBytes, treeCpuMicros } from './proc';
import { newBookBody } from './seed';
import type { RunningServer } from './servers';

export const ENDPOINTS = ['get-id', 'list', 'create', 'create-keyed', 'update', 'delete'] as const;
export type Endpoint = (typeof ENDPOINTS)[number];
/** The endpoints whose service path runs a transaction (TransactionRunner). */
export const WRITE_ENDPOINTS: readonly Endpoint[] = ['create', 'update', 'delete'];

export const ENDPOINT_LABELS: Record<Endpoint, string> = {
  'get-id': 'GET /books/:id',
  list: 'GET /books?limit=20',
  create: 'POST /books',
  'create-keyed': 'POST /books (Idempotency-Key)',
  update: 'PATCH /books/:id (If-Match)',
  delete: 'DELETE /books/:id',
};

/** Rows the load reads and writes; shared by both servers, which use the same database. */
export interface LoadState {
  /** Seeded books with the version the last PATCH left them at. */
  books: { id: string; version: number }[];
  /** Ids of books that DELETE may remove, each once. */
  deletable: string[];
  deleteNext: number;
  /** Next serial for ISBNs of created books (prefix 979: never clashes with seeded rows). */
  createSerial: number;
  patchNext: number;
  /** Sent with every request (--auth: the bearer token; the AUTH_DISABLED side ignores it). */
  authorization?: string;
}

export interface Measurement {
  server: RunningServer['name'];
  /** An endpoint, or a scale case's name. */
  endpoint: string;
  mode: 'max' | 'fixed' | 'latency' | 'alloc';
  round: number;
  connections: number;
  offeredRate?: number;
  durationS: number;
  requests: number;
  rps: number;
  latencyMs: { p50: number; p90: number; p99: number; mean: number; max: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCounts: Record<string, number>;
  /** Server process CPU (user + system) per completed request. */
  cpuUsPerRequest: number;
  /** PostgreSQL CPU (postmaster and backends) per request, when the server is ours. */
  dbCpuUsPerRequest?: number;
  rssMaxMiB: number;
  /** Heap allocated per completed request (allocation runs only; objects already collected included). */
  allocKBPerRequest?: number;
}

interface Context {
  book?: { id: string; version: number };
}

const JSON_HEADERS = { 'content-type': 'application/json' };
const MISSING_ID = '00000000-0000-4000-8000-000000000000';

export function requestsFor(endpoint: Endpoint, state: LoadState): autocannon.Request[] {
  const requests = endpointRequests(endpoint, state);
  if (!state.authorization) return requests;
  const authorization = state.authorization;
  return requests.map((request) => {
    const setup = request.setupRequest;
    return {
      ...request,
      headers: { ...request.headers, authorization },
      setupRequest: (req, context) => {
        const prepared = typeof setup === 'function' ? setup(req, context) : req;
        prepared.headers = { ...prepared.headers, authorization };
        return prepared;
      },
    };
  });
}

function endpointRequests(endpoint: Endpoint, state: LoadState): autocannon.Request[] {
  switch (endpoint) {
    case 'get-id':
      return [
        {
          method: 'GET',
          setupRequest: (req) => {
            req.path = `/books/${state.books[Math.floor(Math.random() * state.books.length)].id}`;
            return req;
          },
        },
      ];
    case 'list':
      return [{ method: 'GET', path: '/books?limit=20' }];
    case 'create':
      return [
        {
          method: 'POST',
          path: '/books',
          headers: JSON_HEADERS,
          setupRequest: (req) => {
            req.body = JSON.stringify(newBookBody('979', state.createSerial++));
            return req;
          },
        },
      ];
    case 'create-keyed':
      // A fresh key per request: every one claims and records a key. The baseline ignores the header.
      return [
        {
          method: 'POST',
          path: '/books',
          setupRequest: (req) => {
            req.headers = { ...JSON_HEADERS, 'idempotency-key': randomUUID() };
            req.body = JSON.stringify(newBookBody('979', state.createSerial++));
            return req;
          },
        },
      ];
    case 'update':
      return [
        {
          method: 'PATCH',
          setupRequest: (req, context: Context) => {
            const book = state.books[state.patchNext++ % state.books.length];
            context.book = book;
            req.path = `/books/${book.id}`;
            req.headers = { ...JSON_HEADERS, 'if-match': `"${book.version}"` };
            req.body = JSON.stringify({ title: `Revised edition ${book.version + 1}`, pageCount: 100 + book.version });
            return req;
          },
          // Each connection has one request in flight, so the context names the book answered.
          onResponse: (status, _body, context: Context) => {
            if (status === 200 && context.book) context.book.version += 1;
          },
        },
      ];
    case 'delete':
      return [
        {
          method: 'DELETE',
          setupRequest: (req) => {
            // An exhausted pool shows up as 404s in the results rather than as a stall.
            const id = state.deletable[state.deleteNext++] ?? MISSING_ID;
            req.path = `/books/${id}`;
            return req;
          },
        },
      ];
  }
}

export interface LoadOptions {
  connections: number;
  durationS: number;
  /** Requests per second across all connections; unset means as fast as the server answers. */
  overallRate?: number;
  round: number;
  mode: Measurement['mode'];
  postmasterPid?: number;
  label?: string;
}

/** One autocannon run against one server, with the server's (and PostgreSQL's) CPU over the run. */
export async function measure(
  server: RunningServer,
  requests: autocannon.Request[],
  options: LoadOptions,
): Promise<Measurement> {
  let rssMax = rssBytes(server.pid);
  const sampler = setInterval(() => (rssMax = Math.max(rssMax, rssBytes(server.pid))), 200);
  const cpuBefore = cpuMicros(server.pid);
  const dbBefore = options.postmasterPid ? treeCpuMicros(options.postmasterPid) : NaN;
  // autocannon's own histogram has 1 ms resolution: keep every duration (float ms) instead.
  const durations: number[] = [];
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: server.baseUrl,
        connections: options.connections,
        duration: options.durationS,
        overallRate: options.overallRate,
        requests,
        timeout: 10,
      },
      (error: unknown, done: autocannon.Result) =>
        error ? reject(error instanceof Error ? error : new Error(JSON.stringify(error))) : resolve(done),
    );
    instance.on('response', (_client, _status, _bytes, ms) => durations.push(ms));
  });
  const cpu = cpuMicros(server.pid) - cpuBefore;
  const db = options.postmasterPid ? treeCpuMicros(options.postmasterPid) - dbBefore : NaN;
  clearInterval(sampler);
  const statusCounts: Record<string, number> = {};
  for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) statusCounts[code] = stat.count ?? 0;
  const completed = result['1xx'] + result['2xx'] + result['3xx'] + result['4xx'] + result['5xx'];
  return {
    server: server.name,
    endpoint: options.label ?? 'custom',
    mode: options.mode,
    round: options.round,
    connections: options.connections,
    offeredRate: options.overallRate,
    durationS: result.duration,
    requests: completed,
    rps: completed / result.duration,
    latencyMs: latencySummary(durations),
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    statusCounts,
    cpuUsPerRequest: completed ? cpu / completed : NaN,
    dbCpuUsPerRequest: options.postmasterPid && completed ? db / completed : undefined,
    rssMaxMiB: rssMax / 2 ** 20,
  };
}

/** Exact percentiles of response times in milliseconds (every status counted). */
export function latencySummary(durations: number[]): Measurement['latencyMs'] {
  if (!durations.length) return { p50: NaN, p90: NaN, p99: NaN, mean: NaN, max: NaN };
  const sorted = Float64Array.from(durations).sort();
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  const mean = sorted.reduce((sum, v) => sum + v, 0) / sorted.length;
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), mean, max: sorted[sorted.length - 1] };
}
