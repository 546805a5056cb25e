import { Logger } from '@nestjs/common';
import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { RateLimitStorage } from '../../src/common/rate-limit.storage';
import { RedisServer } from '../helpers/redis-server';

const TTL_MS = 60_000;

/**
 * The rate-limit storage on its own against a real Redis: two storages stand for two instances.
 * What the scaling guide promises: counts are atomic across instances, and a Redis slower than
 * the command timeout does not hold a request up (it is counted in memory meanwhile).
 */
describe('rate-limit storage on a real Redis', () => {
  let redis: RedisServer;
  const storages: RateLimitStorage[] = [];

  /** A storage whose Redis connection is up: it connects in the background and counts in memory until then. */
  const storage = async (): Promise<RateLimitStorage> => {
    const created = new RateLimitStorage({
      throttle: { enabled: true, limit: 0, writeLimit: 0, ttlMs: TTL_MS, redisUrl: new URL(redis.url) },
    });
    storages.push(created);
    await created.onModuleInit();
    const reader = new Redis(redis.url);
    try {
      for (let i = 0; i < 100; i++) {
        const probe = `probe-${randomUUID()}`;
        await created.increment(probe, TTL_MS, 1000, TTL_MS, 'default');
        if ((await reader.exists(`bookapi:throttle:default:${probe}`)) === 1) return created;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      reader.disconnect();
    }
    throw new Error('the rate-limit storage never counted in Redis');
  };

  beforeAll(async () => {
    redis = await RedisServer.start();
  });

  afterAll(async () => {
    for (const created of storages) created.onApplicationShutdown();
    await redis?.destroy();
  });

  it('counts concurrent hits from two instances atomically: every count once, and exactly the limit let through', async () => {
    const [a, b] = [await storage(), await storage()];
    const key = `atomic-${Date.now()}`;
    const limit = 50;
    const records = await Promise.all(
      Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? a : b).increment(key, TTL_MS, limit, TTL_MS, 'default')),
    );
    const hits = records.map((record) => record.totalHits).sort((x, y) => x - y);
    // A lost update would repeat a count; every hit before the block got its own number.
    const admitted = records.filter((record) => !record.isBlocked);
    expect(admitted.map((record) => record.totalHits).sort((x, y) => x - y)).toEqual(
      Array.from({ length: limit }, (_, i) => i + 1),
    );
    expect(records.filter((record) => record.isBlocked)).toHaveLength(200 - limit);
    expect(new Set(hits.filter((n) => n <= limit)).size).toBe(limit);
  });

  it('a Redis that stalls past the command timeout does not hold the request: it is counted in memory, and Redis again once it answers', async () => {
    const counted = await storage();
    const warn = jest.spyOn(Logger.prototype, 'warn');
    const log = jest.spyOn(Logger.prototype, 'log');
    const key = `stall-${Date.now()}`;
    // Warm the connection, so the stall below is the only thing that can be slow.
    await expect(counted.increment(key, TTL_MS, 1000, TTL_MS, 'default')).resolves.toMatchObject({ totalHits: 1 });

    const admin = new Redis(redis.url);
    try {
      // Every other client's commands wait until the pause ends.
      await admin.call('CLIENT', 'PAUSE', '3000', 'ALL');
      const order: string[] = [];
      const pauseOver = admin.ping().then(() => order.push('redis answers again'));
      const during = counted.increment(key, TTL_MS, 1000, TTL_MS, 'default').then((record) => {
        order.push('request counted');
        return record;
      });
      // Counted in memory, where this key has no hits yet: the first of its own.
      await expect(during).resolves.toMatchObject({ totalHits: 1, isBlocked: false });
      await pauseOver;
      expect(order).toEqual(['request counted', 'redis answers again']);
      expect(warn.mock.calls.map(([message]) => String(message))).toEqual([
        expect.stringMatching(
          /^Redis unavailable \(.*\): requests are served and counted per instance until it answers$/,
        ),
      ]);
    } finally {
      await admin.call('CLIENT', 'UNPAUSE');
      admin.disconnect();
    }

    // Back on Redis once it answers: the record returned is Redis' own count again.
    const answered = () =>
      log.mock.calls.some(
        ([message]) => message === 'Redis answers again: the rate limit is shared across instances again',
      );
    let record = await counted.increment(key, TTL_MS, 1000, TTL_MS, 'default');
    for (let i = 0; i < 100 && !answered(); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      record = await counted.increment(key, TTL_MS, 1000, TTL_MS, 'default');
    }
    expect(answered()).toBe(true);
    const reader = new Redis(redis.url);
    try {
      const stored = Number(await reader.get(`bookapi:throttle:default:${key}`));
      expect(stored).toBeGreaterThanOrEqual(2);
      expect(record.totalHits).toBe(stored);
    } finally {
      reader.disconnect();
    }
    warn.mockRestore();
    log.mockRestore();
  });
});
