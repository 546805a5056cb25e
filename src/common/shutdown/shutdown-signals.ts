import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ShutdownState } from './shutdown-state';

/**
 * SIGTERM/SIGINT start the drain: readiness and new requests turn 503 at once, Nest's shutdown
 * hooks then wait for admitted requests (ShutdownState), destroy the DataSource and stop the
 * embedded server (DatabaseLifecycle), and the process exits 0. A deadline bounds it, and a
 * second signal exits at once.
 */
export function enableGracefulShutdown(app: NestFastifyApplication, timeoutMs: number): void {
  // useProcessExit: exit 0 once every shutdown hook has run (the default re-raises the signal).
  app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
  const shutdown = app.get(ShutdownState);
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals === 1) {
      shutdown.begin();
      Logger.log(`${signal} received: draining (deadline ${timeoutMs} ms)`, 'Shutdown');
      setTimeout(() => {
        Logger.error(`Shutdown did not finish within SHUTDOWN_TIMEOUT_MS=${timeoutMs}; exiting`, 'Shutdown');
        process.exit(1);
      }, timeoutMs).unref();
      return;
    }
    Logger.warn(`Second ${signal}: exiting now`, 'Shutdown');
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
