import { BeforeApplicationShutdown, Inject, Injectable, Logger, Optional } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import type { ServerResponse } from 'node:http';
import { appConfig, type AppConfig } from '../../config/app.config';
import { type InFlightEntry, InFlightRequests } from './in-flight-requests';

/** A response's entry among the requests in flight, set by trackRequests. */
const IN_FLIGHT = Symbol('inFlight');
type TrackedResponse = ServerResponse & { [IN_FLIGHT]?: InFlightEntry };

/** How long a request may still be arriving once shutdown begins. */
const RECEIVE_GRACE_MS = 1000;

/**
 * Turns true when shutdown begins: readiness answers 503 at once, and after SHUTDOWN_DRAIN_DELAY_MS
 * (default 0) new requests are refused (503, `Connection: close`). The delay lets a load balancer
 * see readiness fail and stop routing here while requests are still served, so none it sent in
 * that window is answered 503. The listener stays open meanwhile, so a load balancer sees
 * the 503s; Nest closes it only once the requests already admitted have finished, which
 * keeps their transactions ahead of the DataSource's destruction.
 */
@Injectable()
export class ShutdownState implements BeforeApplicationShutdown {
  private readonly logger = new Logger('Shutdown');
  private draining = false;
  private refusing = false;
  private refuseAt = 0;
  /** Admitted requests, each marked while its body is still arriving. */
  private readonly inFlight = new InFlightRequests();
  private onIdle?: () => void;

  constructor(
    @Optional()
    @Inject(appConfig.KEY)
    private readonly config?: Pick<AppConfig, 'shutdownTimeoutMs' | 'shutdownDrainDelayMs'>,
  ) {}

  /** Readiness is down. */
  get isShuttingDown(): boolean {
    return this.draining;
  }

  /** New requests are answered 503. */
  get isRefusing(): boolean {
    return this.refusing;
  }

  /** Requests admitted and not yet answered. */
  get inFlightCount(): number {
    return this.inFlight.size;
  }

  begin(): void {
    if (this.draining) return;
    this.draining = true;
    const delayMs = this.config?.shutdownDrainDelayMs ?? 0;
    this.refuseAt = Date.now() + delayMs;
    if (delayMs === 0) this.refusing = true;
    // A client still sending its request after a short grace (once refusals start) is one trickling
    // it (slowloris); nothing has run for it yet, so closing its connection loses nothing, and it
    // cannot hold the drain until SHUTDOWN_TIMEOUT_MS.
    setTimeout(() => {
      const sockets = this.inFlight.receivingSockets();
      if (sockets.length) this.logger.warn(`Closing ${sockets.length} connection(s) still sending a request`);
      for (const socket of sockets) socket.destroy();
    }, delayMs + RECEIVE_GRACE_MS).unref();
  }

  /** Counts requests from arrival to response; answers sent while draining close their connection. */
  trackRequests(fastify: FastifyInstance): void {
    const inFlight = this.inFlight;
    // One listener for every response, which finds its entry on the response: no closure or once()
    // wrapper per request (docs/decisions/0002-in-flight-list.md).
    const onClose = (response: ServerResponse) => {
      inFlight.remove((response as TrackedResponse)[IN_FLIGHT]!);
      if (inFlight.size === 0) this.onIdle?.();
    };
    fastify.decorateRequest('inFlight', null);
    fastify.addHook('onRequest', (request, reply, done) => {
      const entry = inFlight.add(request.raw.socket);
      request.inFlight = entry;
      (reply.raw as TrackedResponse)[IN_FLIGHT] = entry;
      // 'close' fires once the response is sent or the client has gone, whichever comes first;
      // onResponse alone misses a client that hangs up, which would hold shutdown to its deadline.
      reply.raw.on('close', closeListener);
      done();
    });
    function closeListener(this: ServerResponse): void {
      onClose(this);
    }
    // The body has been read and parsed: from here on the request is the service's to finish.
    fastify.addHook('preValidation', (request, _reply, done) => {
      if (request.inFlight) request.inFlight.receiving = false;
      done();
    });
    fastify.addHook('onSend', (_request, reply, payload, done) => {
      if (this.draining) void reply.header('Connection', 'close');
      done(null, payload);
    });
  }

  /** Refuses new requests, then waits (bounded by SHUTDOWN_TIMEOUT_MS) for those in flight. */
  async beforeApplicationShutdown(): Promise<void> {
    this.begin();
    const waitMs = this.refuseAt - Date.now();
    if (waitMs > 0) {
      this.logger.log(
        `Serving ${waitMs} ms more while the load balancer takes this instance out (SHUTDOWN_DRAIN_DELAY_MS)`,
      );
      await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
    this.refusing = true;
    if (this.inFlight.size === 0) return;
    const timeoutMs = this.config?.shutdownTimeoutMs ?? 10_000;
    this.logger.log(`Waiting for ${this.inFlight.size} in-flight request(s) to finish`);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      timer.unref();
      this.onIdle = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.onIdle = undefined;
    if (this.inFlight.size > 0) this.logger.warn(`${this.inFlight.size} request(s) still in flight; closing anyway`);
    else this.logger.log('In-flight requests finished');
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Its entry among the requests shutdown waits for (ShutdownState.trackRequests). */
    inFlight: InFlightEntry | null;
  }
}
