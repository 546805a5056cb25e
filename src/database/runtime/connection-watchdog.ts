import * as net from 'node:net';
import type { Client, ClientConfig } from 'pg';
import { DatabaseUnavailableError } from '../../lib/database-unavailable.exception';
import { WatchableClient } from '../../lib/internals/pg';

export interface WatchdogOptions {
  /** How long a liveness probe (an SSLRequest on a fresh connection) may wait for the server to answer. */
  probeTimeoutMs: number;
  /** Where to probe; default: the host and port the client connects to. */
  probeTarget?: ProbeTarget;
}

/** A probe verdict is reused for this long, so many slow requests share one probe. */
const VERDICT_FRESH_MS = 250;

/** Length 8, then the SSLRequest code 80877103: the server answers with one byte, S or N. */
const SSL_REQUEST = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);

export interface ProbeTarget {
  host: string;
  port: number;
}

/** The probe target of a postgres:// URL (host and port; 5432 when none is given). */
export function probeTargetOf(url: URL | undefined): ProbeTarget | undefined {
  if (!url) return undefined;
  return { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(url.port || 5432) };
}

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

  return class WatchedClient extends WatchableClient {
    private readonly liveness: Liveness;

    constructor(config?: string | ClientConfig) {
      super(config);
      // pg resolved host and port, from a connection string too.
      liveness ??= new Liveness(options.probeTarget ?? { host: this.host, port: this.port }, options);
      this.liveness = liveness;
    }

    protected refuseConnect(): Error | undefined {
      if (!this.liveness.down) return undefined;
      void this.liveness.check();
      return new DatabaseUnavailableError('PostgreSQL did not answer the last liveness probe');
    }

    /**
     * Operations pending on this client (a connect, or queries: pg runs them one at a time) share
     * one timer, counted from when the first of them started; it is refreshed, not made anew, for
     * each operation, so a query costs no timer of its own.
     */
    private pending = 0;
    private timer?: NodeJS.Timeout;

    protected watch(operation: Promise<unknown>): void {
      if (this.pending++ === 0) this.arm();
      operation.then(this.settled, this.settled);
    }

    private readonly settled = () => {
      this.pending--;
    };

    private arm(): void {
      if (this.timer) this.timer.refresh();
      else this.timer = setTimeout(this.overdue, watchAfterMs).unref();
    }

    /** Something has been pending for watchAfterMs (or a verdict found the server live since). */
    private readonly overdue = () => {
      if (this.pending > 0) void this.liveness.check().then(this.onVerdict);
    };

    private readonly onVerdict = (reachable: boolean) => {
      if (this.pending === 0) return;
      if (reachable) return this.arm();
      this.destroySocket(
        new DatabaseUnavailableError(`PostgreSQL did not answer a liveness probe within ${options.probeTimeoutMs} ms`),
      );
    };
  };
}

/** The shared verdict on whether the server answers, refreshed by one probe at a time. */
class Liveness {
  private reachable = true;
  private checkedAt = 0;
  private probing?: Promise<boolean>;

  constructor(
    private readonly target: ProbeTarget,
    private readonly options: WatchdogOptions,
  ) {}

  /** The last probe got no answer; stays so until one does. */
  get down(): boolean {
    return !this.reachable;
  }

  check(): Promise<boolean> {
    if (this.probing) return this.probing;
    if (Date.now() - this.checkedAt < VERDICT_FRESH_MS) return Promise.resolve(this.reachable);
    this.probing = probe(this.target, this.options.probeTimeoutMs).then((reachable) => {
      this.reachable = reachable;
      this.checkedAt = Date.now();
      this.probing = undefined;
      return reachable;
    });
    return this.probing;
  }
}

/**
 * True when the server answers an SSLRequest within `timeoutMs`. Its one-byte reply comes from
 * a forked backend, so a frozen or partitioned server sends nothing while a busy one still
 * answers quickly; no password exchange is spent on it, and PostgreSQL logs nothing for a
 * client that leaves before its startup packet.
 */
function probe(target: ProbeTarget, timeoutMs: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const socket = target.host.startsWith('/')
      ? net.connect(`${target.host}/.s.PGSQL.${target.port}`)
      : net.connect(target.port, target.host);
    let settled = false;
    const settle = (reachable: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (reachable) socket.end();
      else socket.destroy();
      resolve(reachable);
    };
    const timer = setTimeout(() => settle(false), timeoutMs);
    socket.on('error', () => settle(false));
    socket.once('connect', () => socket.write(SSL_REQUEST));
    socket.once('data', () => settle(true));
  });
}
