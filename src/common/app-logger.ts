import { ConsoleLogger, LogLevel } from '@nestjs/common';
import type { AppConfig } from '../config/app.config';
import { scrubSecrets } from '../lib/url';

const LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

/**
 * The app's logger: JSON lines in production, readable lines in development. Every line
 * passes through `scrubSecrets`, so a password known to the process never reaches the log.
 */
export class AppLogger extends ConsoleLogger {
  private static readonly secrets = new Set<string>();

  static forConfig(config: Pick<AppConfig, 'logFormat' | 'logLevel'>): AppLogger {
    const upTo = LEVELS.indexOf(config.logLevel);
    return new AppLogger({
      json: config.logFormat === 'json',
      colors: config.logFormat !== 'json' && !!process.stdout.isTTY,
      logLevels: LEVELS.slice(0, upTo + 1),
    });
  }

  /** Registers a secret to remove from every later log line. */
  static addSecret(secret: string | undefined): void {
    if (secret) AppLogger.secrets.add(secret);
  }

  static scrub(text: string): string {
    return scrubSecrets(text, [...AppLogger.secrets]);
  }

  protected printMessages(
    messages: unknown[],
    context?: string,
    logLevel?: LogLevel,
    writeStreamType?: 'stdout' | 'stderr',
    errorStack?: unknown,
  ): void {
    const clean = (value: unknown): unknown => {
      if (typeof value === 'string') return AppLogger.scrub(value);
      if (value instanceof Error) return AppLogger.scrub(value.stack ?? value.message);
      if (value && typeof value === 'object') return JSON.parse(AppLogger.scrub(JSON.stringify(value))) as unknown;
      return value;
    };
    super.printMessages(
      messages.map(clean),
      context,
      logLevel,
      writeStreamType,
      typeof errorStack === 'string' ? AppLogger.scrub(errorStack) : errorStack,
    );
  }
}
