import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { ThrottlerStorage, ThrottlerStorageService } from '@nestjs/throttler';
import type { Redis } from 'ioredis';
import { appConfig, type AppConfig } from '../config/app.config';
import type { ThrottlerStorageRecord } from '../lib/internals/nestjs-throttler';

/** Namespace of the counters in a Redis that other services may share. */
const KEY_PREFIX = 'bookapi:throttle:';
/** A Redis command that takes longer than this counts as Redis being down. */
const COMMAND_TIMEOUT_MS = 300;
/** After a failure, requests are counted in memory for this long before Redis is tried again. */
const RETRY_REDIS_AFTER_MS = 1000;

/**
 * One atomic step per request (a Lua script runs alone on the Redis server): while the client is
 * blocked, report it; else count the request's units in a fixed window of `ttl` ms, and block for
 * `block` ms once the count passes `limit`. Returns hits, ms left in the window, blocked (0/1), ms left blocked.
 */
const INCREMENT_SCRIPT = `
local blocked = redis.call('PTTL', KEYS[2])
if blocked > 0 then
  return { tonumber(redis.call('GET', KEYS[1]) or ARGV[2]), redis.call('PTTL', KEYS[1]), 1, blocked }
end
local hits = redis.call('INCRBY', KEYS[1], ARGV[4])
local left = redis.call('PTTL', KEYS[1])
if left < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  left = tonumber(ARGV[1])
end
if hits > tonumber(ARGV[2]) then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
  return { hits, left, 1, tonumber(ARGV[3]) }
end
return { hits, left, 0, 0 }`;

type IncrementReply = [number, number, number, number];
type WithIncrement = Redis & {
  throttleIncrement(
    key: string,
    blockKey: string,
    ttl: number,
    limit: number,
    block: number,
    units: number,
  ): Promise<IncrementReply>;
};

/**
 * The throttler's counters: in Redis when REDIS_URL is set, so THROTTLE_LIMIT holds across all
 * instances; in memory (per instance) otherwise. When Redis fails or is slow, requests are still
 * served and counted in memory meanwhile (fail open to the per-instance limit); that is logged once
 * when it starts and once when Redis answers again, and readiness does not depend on Redis.
 * (@nest-lab/throttler-storage-redis would do the Redis part but declares Nest <= 11 peers.)
 */
@Injectable()
export class RateLimitStorage implements ThrottlerStorage, OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('RateLimit');
  private readonly local = new ThrottlerStorageService();
  private redis?: WithIncrement;
  private redisFailedAt = 0;
  private degraded = false;

  constructor(@Inject(appConfig.KEY) private readonly config: Pick<AppConfig, 'throttle'>) {}

  /** Connects in the background: startup never waits for Redis. ioredis is loaded only when used. */
  async onModuleInit(): Promise<void> {
    const url = this.config.throttle.redisUrl;
    if (!url) return;
    const { Redis } = await import('ioredis');
    const redis = new Redis(url.toString(), {
      // A command fails at once while disconnected instead of queueing behind a reconnect.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: COMMAND_TIMEOUT_MS,
      connectTimeout: 2000,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
    });
    redis.on('error', (error: Error) => this.markDown(error));
    redis.defineCommand('throttleIncrement', { numberOfKeys: 2, lua: INCREMENT_SCRIPT });
    this.redis = redis as WithIncrement;
  }

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
    units = 1,
  ): Promise<ThrottlerStorageRecord> {
    if (!this.redis || Date.now() - this.redisFailedAt < RETRY_REDIS_AFTER_MS) {
      return this.incrementLocally(key, ttl, limit, blockDuration, throttlerName, units);
    }
    try {
      const base = `${KEY_PREFIX}${throttlerName}:${key}`;
      const [hits, leftMs, blocked, blockedMs] = await this.redis.throttleIncrement(
        base,
        `${base}:blocked`,
        ttl,
        limit,
        blockDuration > 0 ? blockDuration : ttl,
        units,
      );
      if (this.degraded) {
        this.degraded = false;
        this.logger.log('Redis answers again: the rate limit is shared across instances again');
      }
      return {
        totalHits: hits,
        timeToExpire: Math.ceil(leftMs / 1000),
        isBlocked: blocked === 1,
        timeToBlockExpire: Math.ceil(blockedMs / 1000),
      };
    } catch (error) {
      this.markDown(error as Error);
      return this.incrementLocally(key, ttl, limit, blockDuration, throttlerName, units);
    }
  }

  /** The in-memory storage counts one hit a call: a request of several units is that many hits, until blocked. */
  private async incrementLocally(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
    units: number,
  ): Promise<ThrottlerStorageRecord> {
    let record = await this.local.increment(key, ttl, limit, blockDuration, throttlerName);
    for (let unit = 1; unit < units && !record.isBlocked; unit++) {
      record = await this.local.increment(key, ttl, limit, blockDuration, throttlerName);
    }
    return record;
  }

  onApplicationShutdown(): void {
    this.local.onApplicationShutdown();
    this.redis?.disconnect();
  }

  private markDown(error: Error): void {
    this.redisFailedAt = Date.now();
    if (this.degraded) return;
    this.degraded = true;
    this.logger.warn(
      `Redis unavailable (${error.message.split('\n')[0]}): requests are served and counted per instance until it answers`,
    );
  }
}
