/**
 * The baseline: what a careful hand-written server does for the same endpoints, with
 * node:http and pg only. Same SQL and JSON shapes as the service, minimal checks, no
 * framework. Run by the harness (transpiled to bench/.work/), never by the app.
 *
 * The statements the service prepares (GET by id, the single insert, each update) are named here
 * too, so each side's PostgreSQL parses and plans them once per connection.
 *
 * Env: DATABASE_URL, PORT, HOST (127.0.0.1), DB_POOL_MAX (10), BASELINE_WRITES (`transaction`:
 * each write is BEGIN … COMMIT on one connection, the same SQL work as the service; `autocommit`:
 * each write is one statement, to price the transaction itself).
 */
import * as http from 'node:http';
import { DatabaseError, Pool, PoolClient } from 'pg';
import { BOOK_COLUMNS, COUNT_CAP, LIST_SQL, WRITABLE_COLUMNS } from './lib/sql';

const pool = new Pool({
  connectionString: process.env.DATABASE_URL,
  max: Number(process.env.DB_POOL_MAX ?? 10),
  application_name: 'bookapi-bench-baseline',
});
// A backend killed under us must not crash the process.
pool.on('error', () => undefined);

const IN_TRANSACTION = process.env.BASELINE_WRITES !== 'autocommit';
type Queryable = Pick<PoolClient, 'query'>;

/** A write's statements: in one transaction on one connection (as the service does), or autocommit. */
async function write<T>(work: (db: Queryable) => Promise<T>): Promise<T> {
  if (!IN_TRANSACTION) return work(pool);
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
    throw error;
  } finally {
    client.release(broken);
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const JSON_TYPE = 'application/json; charset=utf-8';
const PATCHABLE: Record<string, string> = WRITABLE_COLUMNS;

interface Book {
  id: string;
  version: number;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function send(res: http.ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void {
  if (body === undefined) {
    res.writeHead(status, headers).end();
    return;
  }
  const json = JSON.stringify(body);
  res.writeHead(status, { 'content-type': JSON_TYPE, 'content-length': Buffer.byteLength(json), ...headers }).end(json);
}

function problem(res: http.ServerResponse, status: number, detail: string, instance: string): void {
  const json = JSON.stringify({ type: 'about:blank', title: http.STATUS_CODES[status], status, detail, instance });
  res
    .writeHead(status, { 'content-type': 'application/problem+json', 'content-length': Buffer.byteLength(json) })
    .end(json);
}

function readBody(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      try {
        const value: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error('not an object');
        resolve(value as Record<string, unknown>);
      } catch {
        reject(new HttpError(400, 'The body is not a JSON object'));
      }
    });
    req.on('error', reject);
  });
}

const SELECT_ONE = `SELECT ${BOOK_COLUMNS} FROM books WHERE id = $1`;
const INSERT_ONE = `INSERT INTO books (title, author, isbn, published_year, page_count, summary, version)
  VALUES ($1, $2, $3, $4, $5, $6, 1) RETURNING ${BOOK_COLUMNS}`;

/** One named UPDATE per set of columns, as the service names its own. */
const updates = new Map<string, { name: string; text: string }>();
function updateStatement(sets: string[]): { name: string; text: string } {
  const key = sets.join(', ');
  let statement = updates.get(key);
  if (!statement) {
    const text = `UPDATE books SET ${key}, version = version + 1, updated_at = now() WHERE id = $1 AND version = $2 RETURNING ${BOOK_COLUMNS}`;
    updates.set(key, (statement = { name: `update_${updates.size}`, text }));
  }
  return statement;
}

function etag(book: Book): string {
  return `"${book.version}"`;
}

function requireId(id: string): string {
  if (!UUID.test(id)) throw new HttpError(400, 'id must be a UUID');
  return id;
}

function isText(value: unknown, max: number): value is string {
  return typeof value === 'string' && value.trim().length > 0 && value.length <= max;
}

async function getBook(id: string, res: http.ServerResponse): Promise<void> {
  const { rows } = await pool.query<Book>({ name: 'select_one', text: SELECT_ONE, values: [requireId(id)] });
  if (!rows[0]) throw new HttpError(404, `No book has id ${id}`);
  send(res, 200, rows[0], { etag: etag(rows[0]) });
}

async function listBooks(url: URL, res: http.ServerResponse): Promise<void> {
  const page = Number(url.searchParams.get('page') ?? 1);
  const limit = Number(url.searchParams.get('limit') ?? 20);
  if (!Number.isInteger(page) || page < 1 || !Number.isInteger(limit) || limit < 1 || limit > 100) {
    throw new HttpError(400, 'page and limit must be positive integers, limit at most 100');
  }
  type Row = Book & { total: number; estimate: string; cursor_key: string };
  const { rows } = await pool.query<Row>(LIST_SQL, [limit + 1, (page - 1) * limit]);
  const { total, estimate } = rows[0];
  const books = rows.filter((row) => row.id !== null);
  const data = books.slice(0, limit).map(({ total: _t, estimate: _e, cursor_key: _c, ...book }) => book);
  const meta: Record<string, unknown> = { page, limit, total };
  if (total > COUNT_CAP) {
    meta.total = Math.max(COUNT_CAP + 1, Number(estimate));
    meta.totalEstimated = true;
  }
  send(res, 200, { data, meta });
}

async function createBook(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const body = await readBody(req);
  const { title, author, isbn, publishedYear, pageCount, summary } = body;
  if (!isText(title, 300) || !isText(author, 200) || typeof isbn !== 'string' || !/^\d{13}$/.test(isbn)) {
    throw new HttpError(400, 'title, author and a 13-digit isbn are required');
  }
  if (!Number.isInteger(publishedYear)) throw new HttpError(400, 'publishedYear must be an integer');
  const { rows } = await write((db) =>
    db.query<Book>({
      name: 'insert_one',
      text: INSERT_ONE,
      values: [title.trim(), author.trim(), isbn, publishedYear, pageCount ?? null, summary ?? null],
    }),
  );
  send(res, 201, rows[0], { location: `/books/${rows[0].id}`, etag: etag(rows[0]) });
}

async function updateBook(id: string, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  requireId(id);
  const ifMatch = /^"(\d{1,9})"$/.exec(req.headers['if-match'] ?? '');
  if (!req.headers['if-match']) throw new HttpError(428, 'Send If-Match');
  const body = await readBody(req);
  const sets: string[] = [];
  const params: unknown[] = [id, ifMatch ? Number(ifMatch[1]) : -1];
  for (const [field, column] of Object.entries(PATCHABLE)) {
    if (body[field] === undefined) continue;
    params.push(typeof body[field] === 'string' ? body[field].trim() : body[field]);
    sets.push(`${column} = $${params.length}`);
  }
  if (!sets.length) throw new HttpError(400, 'the body must set at least one field');
  const book = await write(async (db) => {
    const { rows } = await db.query<Book>({ ...updateStatement(sets), values: params });
    if (rows[0]) return rows[0];
    const exists = await db.query('SELECT 1 FROM books WHERE id = $1', [id]);
    throw exists.rowCount ? new HttpError(412, 'stale ETag') : new HttpError(404, `No book has id ${id}`);
  });
  send(res, 200, book, { etag: etag(book) });
}

async function deleteBook(id: string, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  requireId(id);
  const ifMatch = /^"(\d{1,9})"$/.exec(req.headers['if-match'] ?? '');
  const result = await write((db) =>
    ifMatch
      ? db.query('DELETE FROM books WHERE id = $1 AND version = $2', [id, Number(ifMatch[1])])
      : db.query('DELETE FROM books WHERE id = $1', [id]),
  );
  if (!result.rowCount) throw new HttpError(404, `No book has id ${id}`);
  send(res, 204);
}

async function route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://baseline');
  const [, first, id, extra] = url.pathname.split('/');
  if (first === 'health' && id === 'ready' && req.method === 'GET') {
    await pool.query('SELECT 1');
    send(res, 200, { status: 'ok' });
    return;
  }
  if (first !== 'books' || extra !== undefined) throw new HttpError(404, 'No such route');
  if (id === undefined || id === '') {
    if (req.method === 'GET') return listBooks(url, res);
    if (req.method === 'POST') return createBook(req, res);
  } else {
    if (req.method === 'GET') return getBook(id, res);
    if (req.method === 'PATCH') return updateBook(id, req, res);
    if (req.method === 'DELETE') return deleteBook(id, req, res);
  }
  throw new HttpError(405, 'Method not allowed');
}

const server = http.createServer((req, res) => {
  route(req, res).catch((error: unknown) => {
    if (error instanceof HttpError) return problem(res, error.status, error.message, req.url ?? '');
    if (error instanceof DatabaseError && error.code === '23505') {
      return problem(res, 409, 'A unique value is already taken', req.url ?? '');
    }
    console.error(error);
    problem(res, 500, 'An unexpected error occurred', req.url ?? '');
  });
});
server.keepAliveTimeout = 72_000;

server.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  console.log(`baseline listening on ${port}`);
});

function shutdown(): void {
  server.close();
  server.closeAllConnections();
  void pool.end().then(() => process.exit(0));
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
