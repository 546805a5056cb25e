import { Client, ClientConfig, DatabaseError } from 'pg';
import { DatabaseUnavailableError } from './database.exception';
import { SqlState } from './postgres-error';

export interface WatchdogOptions {
  /** How long a liveness probe (a fresh connection and `SELECT 1`) may take before the server counts as unreachable. */
  probeTimeoutMs: number;
}

/** A probe verdict is reused for this long, so many slow requests share one probe. */
const VERDICT_FRESH_MS = 250;

/** Server answers that still mean "not serving": starting up, shutting down, in recovery. */
const NOT_SERVING = new Set<string>([SqlState.cannotConnectNow, SqlState.adminShutdown, SqlState.crashShutdown]);

/**
 * The pool's pg Client (`extra.Client`), which never waits forever on a server that stopped
 * answering. A paused or partitioned PostgreSQL keeps its TCP connections open, so neither the
 * socket nor statement_timeout (enforced by the frozen server) ends a pending query.
 *
 * When a connect or query has been pending for half the probe timeout, a shared probe opens a
 * fresh connection. If that gets no answer in time, the database counts as unreachable: the
 * pending connection is destroyed (its query fails with DatabaseUnavailableError, a 503) and
 * new connects fail at once until a probe gets an answer again. On a live server a slow query
 * is left alone: statement_timeout governs it. So a request waits at most about 1.5 probe
 * timeouts on a frozen server.
 */
export function watchedClientClass(options: WatchdogOptions): typeof Client {
  const watchAfterMs = Math.max(50, Math.round(options.probeTimeoutMs / 2));
  let liveness: Liveness | undefined;

  return class WatchedClient extends Client {
    private readonly liveness: Liveness;

    constructor(config?: string | ClientConfig) {
      super(config);
      liveness ??= new Liveness(typeof config === 'string' ? { connectionString: config } : { ...config }, options);
      this.liveness = liveness;
      // A broken socket fails the queries on it; the error event itself must never crash the process.
      this.on('error', () => undefined);
      const query = this.query.bind(this) as (...args: unknown[]) => unknown;
      this.query = ((...args: unknown[]) => {
        const result = query(...args);
        if (result instanceof Promise) this.watch(result);
        return result;
      }) as Client['query'];
    }

    override connect(): Promise<Client>;
    override connect(callback: (err: Error) => void): void;
    override connect(callback?: (err: Error) => void): Promise<Client> | void {
      if (this.liveness.down) {
        void this.liveness.check();
        const error = new DatabaseUnavailableError('PostgreSQL did not answer the last liveness probe');
        if (!callback) return Promise.reject(error);
        process.nextTick(callback, error);
        return;
      }
      if (!callback) {
        const connected = super.connect();
        this.watch(connected);
        return connected;
      }
      this.watch(new Promise<void>((settle) => super.connect((err: Error) => (settle(), callback(err)))));
    }

    private watch(operation: Promise<unknown>): void {
      let pending = true;
      let timer: NodeJS.Timeout | undefined;
      const arm = () => {
        timer = setTimeout(() => void this.liveness.check().then(onVerdict), watchAfterMs);
        timer.unref();
      };
      const onVerdict = (reachable: boolean) => {
        if (!pending) return;
        if (reachable) return arm();
        this.connection.stream.destroy(
          new DatabaseUnavailableError(
            `PostgreSQL did not answer a liveness probe within ${options.probeTimeoutMs} ms`,
          ),
        );
      };
      const stop = () => {
        pending = false;
        clearTimeout(timer);
      };
      operation.then(stop, stop);
      arm();
    }
  };
}

/** The shared verdict on whether the server answers, refreshed by one probe at a time. */
class Liveness {
  private reachable = true;
  private checkedAt = 0;
  private probing?: Promise<boolean>;

  constructor(
    private readonly config: ClientConfig,
    private readonly options: WatchdogOptions,
  ) {}

  /** The last probe got no answer; stays so until one does. */
  get down(): boolean {
    return !this.reachable;
  }

  check(): Promise<boolean> {
    if (this.probing) return this.probing;
    if (Date.now() - this.checkedAt < VERDICT_FRESH_MS) return Promise.resolve(this.reachable);
    this.probing = probe(this.config, this.options.probeTimeoutMs).then((reachable) => {
      this.reachable = reachable;
      this.checkedAt = Date.now();
      this.probing = undefined;
      return reachable;
    });
    return this.probing;
  }
}

/** True when the server answered within `timeoutMs`: a result, or an error other than "not serving". */
async function probe(config: ClientConfig, timeoutMs: number): Promise<boolean> {
  const client = new Client({ ...config, connectionTimeoutMillis: timeoutMs });
  client.on('error', () => undefined);
  const timer = setTimeout(() => client.connection.stream.destroy(), timeoutMs);
  let answered: boolean;
  try {
    await client.connect();
    await client.query('SELECT 1');
    answered = true;
  } catch (error) {
    answered = error instanceof DatabaseError && !NOT_SERVING.has(error.code ?? '');
  } finally {
    clearTimeout(timer);
  }
  if (answered) void client.end().catch(() => undefined);
  else client.connection.stream.destroy();
  return answered;
}
