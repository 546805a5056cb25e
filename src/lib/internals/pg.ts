import { Client, Query, type ClientConfig } from 'pg';
import { assertInternals, installedVersion } from './check';

type Socketed = { connection?: { stream?: { destroy(error?: Error): void } } };

/**
 * A pg Client that reports each pending connect and query to its subclass, can refuse a connect
 * before anything is sent, and can destroy its socket. pg-pool builds it through its `Client`
 * option and calls both the promise and the callback forms of connect(); queries go through
 * queryWithCallback. Error events are swallowed: a broken socket fails the queries on it, and the
 * event itself must never crash the process.
 */
export abstract class WatchableClient extends Client {
  constructor(config?: string | ClientConfig) {
    super(config);
    this.on('error', () => undefined);
    const query = this.query.bind(this) as (...args: unknown[]) => unknown;
    this.query = ((...args: unknown[]) => {
      const result = queryWithCallback(query, args);
      if (result instanceof Promise) this.watch(result);
      return result;
    }) as Client['query'];
  }

  /** An error that fails a connect at once, before anything is sent; undefined to connect. */
  protected abstract refuseConnect(): Error | undefined;

  /** A connect or query is pending on this client until `operation` settles. */
  protected abstract watch(operation: Promise<unknown>): void;

  override connect(): Promise<Client>;
  override connect(callback: (err: Error) => void): void;
  override connect(callback?: (err: Error) => void): Promise<Client> | void {
    const refused = this.refuseConnect();
    if (refused) {
      if (!callback) return Promise.reject(refused);
      process.nextTick(callback, refused);
      return;
    }
    if (!callback) {
      const connected = super.connect();
      this.watch(connected);
      return connected;
    }
    this.watch(new Promise<void>((settle) => super.connect((err: Error) => (settle(), callback(err)))));
  }

  /** Destroys the socket: what is pending on it fails with `error`. */
  protected destroySocket(error: Error): void {
    this.connection.stream.destroy(error);
  }
}

/** Drops a client's socket at once, without the goodbye a frozen server would never answer. */
export function destroyClientSocket(client: Client): void {
  (client as unknown as Socketed).connection?.stream?.destroy();
}

/**
 * pg's promise form of `query(text, values)`, run through its callback form. The result is the
 * same (a promise of the pg Result, rejected with the error, whose stack is retaken where the
 * promise settles so that it leads back to the caller, as pg does); the object garbage is not.
 *
 * In the promise form, pg builds the Query without a callback and assigns one, a closure over the
 * Query itself, afterwards. Every statement's Query, Result and rows then survive the young
 * generation's collections and are only freed by a full mark-compact
 * (docs/decisions/0008-pg-callback-query.md). Given the callback when it is built, the same Query
 * dies young.
 *
 * Other calls are passed through as they are: a callback given, or a submittable (a Query object,
 * a cursor or a stream). A config object is copied, since pg writes the callback into it.
 */
export function queryWithCallback(query: (...args: unknown[]) => unknown, args: unknown[]): unknown {
  const [config, values] = args;
  if (args.length > 2 || typeof values === 'function' || config == null || isSubmittable(config)) {
    return query(...args);
  }
  const text = typeof config === 'object' ? { ...config } : config;
  return new Promise((resolve, reject) => {
    query(text, values, (error: Error | null, result: unknown) => (error ? reject(error) : resolve(result)));
  }).catch((error: unknown) => {
    if (error instanceof Error) Error.captureStackTrace(error);
    throw error;
  });
}

function isSubmittable(config: unknown): boolean {
  return typeof config === 'object' && typeof (config as { submit?: unknown } | undefined)?.submit === 'function';
}

/** A client and a query that are never connected or sent; pg opens nothing until connect(). */
export interface PgSample {
  client: Client;
  query: object;
}

const sample = (): PgSample => ({
  client: new Client('postgres://probe@probe.invalid:5433/probe'),
  query: new Query('SELECT 1'),
});

export function checkPgInternals(pg: PgSample = sample()): void {
  const client = pg.client as unknown as Socketed & { host?: unknown; port?: unknown };
  assertInternals('pg', () => installedVersion('pg'), 'pg.ts', {
    'Client#connection.stream.destroy': () => typeof client.connection?.stream?.destroy === 'function',
    'Client#host and #port from a connection string': () => client.host === 'probe.invalid' && client.port === 5433,
    'Client#connect and #query': () => typeof pg.client.connect === 'function' && typeof pg.client.query === 'function',
    'Query#submit (what tells a submittable from a text)': () => isSubmittable(pg.query),
  });
}
