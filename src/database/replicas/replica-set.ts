import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Pool } from 'pg';
import { databaseConfig } from '../../config/database.config';
import { replicasConfig } from '../../config/replicas.config';
import { watchedClientClass } from '../runtime/connection-watchdog';
import { DatabaseTarget } from '../lifecycle/database-target';
import { settlesWithin } from '../../lib/timers';
import { redactUrl } from '../../lib/url';
import { Lsn, parseLsn } from './lsn';
import { MonitorConnection } from './monitor-connection';
import { PrimarySample, pruneSamples, replicaLagMs } from './replica-lag';
import { WalHorizon } from './wal-horizon';

export type ReplicaState = 'starting' | 'up' | 'lagging' | 'down';

/**
 * One replica as /health/ready reports it: a fixed word. Why it is not up (a driver's message, a
 * host, a WAL position) goes to the log only, since readiness is answered to anyone who asks.
 */
export interface ReplicaStatus {
  name: string;
  state: 'up' | 'lagging' | 'down';
}

export class Replica {
  state: ReplicaState = 'starting';
  lagMs?: number;
  replayLsn?: Lsn;
  reason?: string;
  /** When the last check got an answer; a verdict older than the freshness bound is not trusted. */
  answeredAt = 0;

  constructor(
    readonly name: string,
    readonly url: URL,
    readonly pool: Pool,
    readonly monitor: MonitorConnection,
  ) {}
}

/**
 * The streaming replicas from DATABASE_REPLICA_URLS: one pg pool each for reads, and a small
 * background monitor (one connection per server, outside the pools, every
 * DB_REPLICA_CHECK_INTERVAL_MS, each check bounded by DB_REPLICA_TIMEOUT_MS) that records each
 * replica's replay position and lag behind the primary. Requests never probe: they read the
 * monitor's last verdict. A frozen replica therefore stops being chosen within one interval
 * plus one timeout.
 */
@Injectable()
export class ReplicaSet implements OnModuleInit, OnApplicationShutdown {
  readonly replicas: Replica[];
  /** Where the primary's WAL can have reached: bounds the consistency tokens a read may present. */
  readonly horizon = new WalHorizon();
  private readonly logger = new Logger('Replicas');
  private readonly primary: MonitorConnection;
  private readonly samples: PrimarySample[] = [];
  private timer?: NodeJS.Timeout;
  private checking?: Promise<void>;

  constructor(
    @Inject(replicasConfig.KEY) private readonly config: ConfigType<typeof replicasConfig>,
    @Inject(databaseConfig.KEY) database: ConfigType<typeof databaseConfig>,
    target: DatabaseTarget,
  ) {
    const appName = database.applicationName;
    this.primary = new MonitorConnection(target.url, config.timeoutMs, appName);
    this.replicas = config.urls.map((url, index) => {
      const pool = new Pool({
        connectionString: url.toString(),
        max: database.poolMax,
        connectionTimeoutMillis: database.connectTimeoutMs,
        statement_timeout: database.statementTimeoutMs,
        application_name: `${appName}-replica`,
        keepAlive: true,
        // A read waiting on a frozen replica fails after ~1.5 timeouts and goes to the primary.
        Client: watchedClientClass({ probeTimeoutMs: config.timeoutMs }),
      });
      // An idle connection that breaks is dropped by pg-pool; the event must not crash the process.
      pool.on('error', () => undefined);
      return new Replica(`replica-${index + 1}`, url, pool, new MonitorConnection(url, config.timeoutMs, appName));
    });
  }

  onModuleInit(): void {
    if (this.replicas.length === 0) return;
    for (const replica of this.replicas) this.logger.log(`${replica.name}: ${redactUrl(replica.url)}`);
    this.timer = setInterval(() => void this.checkAll(), this.config.checkIntervalMs);
    void this.checkAll();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.checking;
    this.primary.close();
    await Promise.all(
      this.replicas.map((replica) => {
        replica.monitor.close();
        // A frozen replica never acknowledges a goodbye: do not let it hold up shutdown.
        return settlesWithin(
          replica.pool.end().catch(() => undefined),
          this.config.timeoutMs,
        );
      }),
    );
  }

  /**
   * Replicas that may serve a read now: up, checked recently, not lagging, and (for a read that
   * presents a consistency token) known to have replayed at least that far.
   */
  eligible(minLsn?: Lsn): readonly Replica[] {
    // The primary alone (no DATABASE_REPLICA_URLS): no list to build on every read.
    if (this.replicas.length === 0) return NONE;
    const freshAfter = Date.now() - (2 * this.config.checkIntervalMs + this.config.timeoutMs);
    return this.replicas.filter(
      (replica) =>
        replica.state === 'up' &&
        replica.answeredAt >= freshAfter &&
        (minLsn === undefined || (replica.replayLsn !== undefined && replica.replayLsn >= minLsn)),
    );
  }

  /** A read on it failed at the connection level: skip it until the monitor hears from it again. */
  markDown(replica: Replica, reason: string): void {
    if (replica.state !== 'down') this.logger.warn(`${replica.name} skipped: ${reason}`);
    replica.state = 'down';
    replica.reason = reason;
  }

  statuses(): ReplicaStatus[] {
    // A replica still starting serves no reads: down, as far as a reader of readiness can tell.
    return this.replicas.map((replica) => ({
      name: replica.name,
      state: replica.state === 'starting' ? 'down' : replica.state,
    }));
  }

  /** One round of checks; a round still running (waiting on a timeout) is not overlapped. */
  checkAll(): Promise<void> {
    this.checking ??= this.runChecks().finally(() => (this.checking = undefined));
    return this.checking;
  }

  private async runChecks(): Promise<void> {
    const sampleAt = Date.now();
    await Promise.all([
      this.primary.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn').then(
        ([row]) => {
          const lsn = parseLsn(row.lsn);
          if (lsn === undefined) return;
          this.samples.push({ at: sampleAt, lsn });
          this.horizon.sample(lsn);
        },
        // The primary's own health is readiness' business; replicas keep their last lag.
        () => undefined,
      ),
      ...this.replicas.map((replica) => this.checkReplica(replica)),
    ]);
    pruneSamples(this.samples, 2 * this.config.maxLagMs + 4 * this.config.checkIntervalMs, Date.now());
  }

  private async checkReplica(replica: Replica): Promise<void> {
    let verdict: Pick<Replica, 'state' | 'reason'>;
    try {
      const [row] = await replica.monitor.query<{ standby: boolean; replay: string | null }>(
        'SELECT pg_is_in_recovery() AS standby, pg_last_wal_replay_lsn()::text AS replay',
      );
      const replay = row.replay === null ? undefined : parseLsn(row.replay);
      if (!row.standby) {
        verdict = { state: 'down', reason: 'not a standby (promoted, or the URL names a primary)' };
      } else if (replay === undefined) {
        verdict = { state: 'starting', reason: 'no WAL replayed yet' };
      } else {
        replica.answeredAt = Date.now();
        replica.replayLsn = replay;
        replica.lagMs = replicaLagMs(this.samples, replay, replica.answeredAt);
        verdict =
          replica.lagMs === undefined || replica.lagMs > this.config.maxLagMs
            ? { state: 'lagging', reason: `more than DB_REPLICA_MAX_LAG_MS=${this.config.maxLagMs} behind` }
            : { state: 'up', reason: undefined };
      }
    } catch (error) {
      verdict = { state: 'down', reason: error instanceof Error ? error.message.split('\n')[0] : String(error) };
    }
    if (verdict.state !== replica.state) {
      const message = `${replica.name}: ${replica.state} -> ${verdict.state}${verdict.reason ? ` (${verdict.reason})` : ''}`;
      if (verdict.state === 'up') this.logger.log(message);
      else this.logger.warn(message);
    }
    replica.state = verdict.state;
    replica.reason = verdict.reason;
  }
}

const NONE: readonly Replica[] = [];
