import { Logger as NestPinoLogger, type PinoLogger } from 'nestjs-pino';
import type { Logger as Pino } from 'pino';
import type { AppConfig } from '../config/app.config';
import { addLogSecret, createPino, scrubLogText } from '../observability/pino-logger';

/**
 * The app's logger: nestjs-pino's Logger (Nest's LoggerService) over the process's one pino logger,
 * which Fastify logs through too (src/observability/pino-logger.ts). JSON lines in production,
 * readable lines in development; a password known to the process never reaches a line.
 */
export class AppLogger extends NestPinoLogger {
  constructor(readonly pino: Pino) {
    // nestjs-pino's Logger only calls the level methods, which a pino logger has; its PinoLogger
    // would keep the first logger made in a process-wide root instead of this one.
    super(pino as unknown as PinoLogger, {});
  }

  static forConfig(config: Pick<AppConfig, 'logFormat' | 'logLevel'>): AppLogger {
    return new AppLogger(createPino(config));
  }

  /** Registers a secret to remove from every later log line. */
  static addSecret(secret: string | undefined): void {
    addLogSecret(secret);
  }

  static scrub(text: string): string {
    return scrubLogText(text);
  }
}
