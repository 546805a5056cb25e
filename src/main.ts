import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';
import { configureApp, createFastifyAdapter } from './app.setup';
import { AppLogger } from './common/app-logger';
import { ShutdownState } from './common/shutdown-state';
import { buildAppConfig } from './config/app.config';
import { StartupError } from './lib/startup-error';
import { buildDatabaseConfig } from './config/database.config';
import { describeError } from './lib/describe-error';

async function bootstrap(): Promise<void> {
  let logger: AppLogger = AppLogger.forConfig({ logFormat: 'pretty', logLevel: 'log' });
  let app: NestFastifyApplication | undefined;
  try {
    // Validated here first so a bad variable ends in one line, before Nest starts anything.
    const config = buildAppConfig(process.env);
    const database = buildDatabaseConfig(process.env);
    AppLogger.addSecret(database.url?.password && decodeURIComponent(database.url.password));
    AppLogger.addSecret(database.adminUrl?.password && decodeURIComponent(database.adminUrl.password));
    logger = AppLogger.forConfig(config);

    app = await NestFactory.create<NestFastifyApplication>(AppModule, createFastifyAdapter(config), {
      logger,
      abortOnError: false,
    });
    configureApp(app, config);
    // useProcessExit: exit 0 once every shutdown hook has run (the default re-raises the signal).
    app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
    const shutdown = app.get(ShutdownState);
    guardShutdown(config.shutdownTimeoutMs, () => shutdown.begin());
    await app.listen({ port: config.port, host: config.host });
    logger.log(`Listening on ${await app.getUrl()} (Swagger UI at /docs)`, 'Bootstrap');
  } catch (error) {
    const message = error instanceof StartupError ? error.message : AppLogger.scrub(describeError(error));
    logger.fatal(`Startup failed: ${message}`, 'Bootstrap');
    await app?.close().catch(() => undefined);
    process.exit(1);
  }
}

/**
 * A deadline on graceful shutdown, and a second signal that exits at once.
 * Nest's own listeners (enableShutdownHooks) do the orderly part.
 */
function guardShutdown(timeoutMs: number, onFirstSignal: () => void): void {
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals === 1) {
      onFirstSignal();
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

void bootstrap();
