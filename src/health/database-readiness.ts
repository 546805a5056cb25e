import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { databaseConfig } from '../config/database.config';
import { DatabaseLifecycle } from '../database/lifecycle/database-lifecycle';
import { databaseOutage } from '../lib/database-outage';
import { errorCode, isTransientConnectionError } from '../lib/postgres-error';

/** What readiness says about the database: a word for the probe, never the driver's message. */
export type DatabaseState = 'up' | 'timeout' | 'unreachable' | 'failing';

/** An "up" verdict is reused this long, so probes arriving together cost one round trip. */
export const READINESS_CACHE_MS = 500;

/**
 * The database half of /health/ready. Concurrent probes share one ping (single flight), and a
 * successful one for READINESS_CACHE_MS unless a request has seen the database unreachable
 * since (src/lib/database-outage.ts), so unthrottled probes cannot multiply round trips.
 * The driver's detail (addresses, codes) goes to the log only.
 */
@Injectable()
export class DatabaseReadiness {
  private readonly logger = new Logger('Health');
  private pending?: Promise<DatabaseState>;
  private lastUpAt?: number;

  constructor(
    @Inject(DatabaseLifecycle) private readonly database: Pick<DatabaseLifecycle, 'ping'>,
    @Inject(databaseConfig.KEY) private readonly config: Pick<ConfigType<typeof databaseConfig>, 'connectTimeoutMs'>,
  ) {}

  check(): Promise<DatabaseState> {
    const upAt = this.lastUpAt;
    if (upAt !== undefined && Date.now() - upAt < READINESS_CACHE_MS && !databaseOutage.seenSince(upAt)) {
      return Promise.resolve('up');
    }
    // A verdict is as old as its question. Only "up" is kept: a failure costs the database
    // nothing to ask again, and a recovery then shows at once.
    const askedAt = Date.now();
    this.pending ??= this.ping().then((state) => {
      this.lastUpAt = state === 'up' ? askedAt : undefined;
      this.pending = undefined;
      return state;
    });
    return this.pending;
  }

  private async ping(): Promise<DatabaseState> {
    const timeoutMs = Math.min(this.config.connectTimeoutMs, 1500);
    try {
      await this.database.ping(timeoutMs);
      return 'up';
    } catch (error) {
      const state = classify(error);
      const code = errorCode(error);
      const message = error instanceof Error ? error.message : String(error);
      this.logger.warn(`Readiness: database ${state} (${code ? `${code}: ` : ''}${message})`);
      return state;
    }
  }
}

function classify(error: unknown): DatabaseState {
  const message = error instanceof Error ? error.message : '';
  if (/timeout|did not answer/i.test(message) || errorCode(error) === 'ETIMEDOUT') return 'timeout';
  return isTransientConnectionError(error) ? 'unreachable' : 'failing';
}
