import { Logger } from '@nestjs/common';
import type { Logger as TypeOrmLogger } from 'typeorm';

/** Sends TypeORM's query, error and migration log through the app's logger. */
export class TypeOrmNestLogger implements TypeOrmLogger {
  private readonly logger = new Logger('TypeORM');

  constructor(private readonly logQueries: boolean) {}

  logQuery(query: string, parameters?: unknown[]): void {
    if (this.logQueries) this.logger.debug(this.format(query, parameters));
  }

  logQueryError(error: string | Error, query: string, parameters?: unknown[]): void {
    // Expected conflicts (unique, version) are answered 4xx and are not worth a warning per request.
    if (this.logQueries) this.logger.debug(`${this.format(query, parameters)} failed: ${String(error)}`);
  }

  logQuerySlow(time: number, query: string, parameters?: unknown[]): void {
    this.logger.warn(`slow query (${time} ms): ${this.format(query, parameters)}`);
  }

  logSchemaBuild(message: string): void {
    if (this.logQueries) this.logger.debug(message);
  }

  logMigration(message: string): void {
    this.logger.log(message);
  }

  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    if (level === 'warn') this.logger.warn(String(message));
    else if (this.logQueries) this.logger.debug(String(message));
  }

  private format(query: string, parameters?: unknown[]): string {
    // Parameter values are user data; only their count is logged.
    return parameters?.length ? `${query} -- ${parameters.length} parameter(s)` : query;
  }
}
