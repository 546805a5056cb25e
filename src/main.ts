// First: tracing instruments pg and http before anything loads them.
import './observability/tracing-bootstrap';
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';
import { configureApp, createFastifyAdapter, NEST_APP_OPTIONS } from './app.setup';
import { AppLogger } from './common/app-logger';
import { enableGracefulShutdown } from './common/shutdown/shutdown-signals';
import { buildApiKeysConfig } from './config/api-keys.config';
import { buildAppConfig } from './config/app.config';
import { applySecretFiles } from './config/secret-files';
import { buildAuthConfig } from './config/auth.config';
import { StartupError } from './lib/startup-error';
import { buildDatabaseConfig } from './config/database.config';
import { buildIdempotencyConfig } from './config/idempotency.config';
import { buildReplicasConfig } from './config/replicas.config';
import { describeError } from './lib/describe-error';
import { checkDependencyInternals } from './lib/internals';
import { buildObservabilityConfig } from './config/observability.config';
import { setupObservability } from './observability/observability';

async function bootstrap(): Promise<void> {
  let logger: AppLogger | undefined;
  let app: NestFastifyApplication | undefined;
  try {
    // Docker secrets first: every config below reads the URLs with their passwords filled in.
    applySecretFiles(process.env);
    // Validated here first so a bad variable ends in one line, before Nest starts anything.
    const config = buildAppConfig(process.env);
    const database = buildDatabaseConfig(process.env);
    const observability = buildObservabilityConfig(process.env);
    buildAuthConfig(process.env);
    buildIdempotencyConfig(process.env);
    buildApiKeysConfig(process.env);
    AppLogger.addSecret(database.url?.password && decodeURIComponent(database.url.password));
    AppLogger.addSecret(database.directUrl?.password && decodeURIComponent(database.directUrl.password));
    AppLogger.addSecret(database.adminUrl?.password && decodeURIComponent(database.adminUrl.password));
    AppLogger.addSecret(database.migrationUrl?.password && decodeURIComponent(database.migrationUrl.password));
    AppLogger.addSecret(config.throttle.redisUrl?.password && decodeURIComponent(config.throttle.redisUrl.password));
    for (const replica of buildReplicasConfig(process.env).urls) {
      AppLogger.addSecret(replica.password && decodeURIComponent(replica.password));
    }
    logger = AppLogger.forConfig(config);
    // Before anything starts: an upgrade that removed an internal we use stops here, by name.
    await checkDependencyInternals();

    app = await NestFactory.create<NestFastifyApplication>(AppModule, createFastifyAdapter(config, logger.pino), {
      ...NEST_APP_OPTIONS,
      logger,
      abortOnError: false,
    });
    configureApp(app, config);
    setupObservability(app, observability, config.host);
    enableGracefulShutdown(app, config.shutdownTimeoutMs);
    await app.listen({ port: config.port, host: config.host });
    const docs = config.docsEnabled ? 'Swagger UI at /docs' : 'no /docs: DOCS_ENABLED=false';
    logger.log(`Listening on ${await app.getUrl()} (${docs})`, 'Bootstrap');
  } catch (error) {
    const message = error instanceof StartupError ? error.message : AppLogger.scrub(describeError(error));
    // A failure before the configuration is read is reported readably.
    logger ??= AppLogger.forConfig({ logFormat: 'pretty', logLevel: 'log' });
    logger.fatal(`Startup failed: ${message}`, 'Bootstrap');
    await app?.close().catch(() => undefined);
    process.exit(1);
  }
}

/**
 * Settles once the service listens; dist/main.js then saves the code cache of this start.
 * With --prime-code-cache (the image's build) dist/main.js only wants the modules evaluated.
 */
export const started = process.argv.includes('--prime-code-cache') ? undefined : bootstrap();
