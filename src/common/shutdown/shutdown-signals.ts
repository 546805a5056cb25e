import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ShutdownState } from './shutdown-state';

/**
 * Signals this close together are one request to stop. A terminal's Ctrl-C reaches npm and the
 * service together, and npm forwards it to the service again a moment later.
 */
export const SAME_SIGNAL_WINDOW_MS = 1000;

/**
 * SIGTERM/SIGINT start the drain: readiness and new requests turn 503 at once, Nest's shutdown
 * hooks then wait for admitted requests (ShutdownState), destroy the DataSource and stop the
 * embedded server (DatabaseLifecycle), and the process exits 0. A deadline bounds it, and a
 * second signal, later than SAME_SIGNAL_WINDOW_MS after the first, exits at once.
 */
export function enableGracefulShutdown(app: NestFastifyApplication, timeoutMs: number): void {
  // useProcessExit: exit 0 once every shutdown hook has run (the default re-raises the signal).
  app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
  const shutdown = app.get(ShutdownState);
  let firstAt: number | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    const now = performance.now();
    if (firstAt === undefined) {
      firstAt = now;
      shutdown.begin();
      Logger.log(`${signal} received: draining (deadline ${timeoutMs} ms)`, 'Shutdown');
      setTimeout(() => {
        Logger.error(`Shutdown did not finish within SHUTDOWN_TIMEOUT_MS=${timeoutMs}; exiting`, 'Shutdown');
        process.exit(1);
      }, timeoutMs).unref();
      return;
    }
    if (now - firstAt < SAME_SIGNAL_WINDOW_MS) {
      Logger.log(
        `${signal} again within ${SAME_SIGNAL_WINDOW_MS} ms: the same request to stop, still draining`,
        'Shutdown',
      );
      return;
    }
    Logger.warn(`Second ${signal}: exiting now`, 'Shutdown');
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
