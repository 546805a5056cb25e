import { Logger } from '@nestjs/common';
import { databaseOutage } from '../lib/database-outage';
import { DatabaseReadiness, READINESS_CACHE_MS } from './database-readiness';

/** A ping that stays pending until released, counting how often it was called. */
function controllablePing() {
  const calls: { resolve: () => void; reject: (error: unknown) => void }[] = [];
  const ping = jest.fn(
    () =>
      new Promise<void>((resolve, reject) => {
        calls.push({ resolve, reject });
      }),
  );
  return { ping, calls };
}

describe('DatabaseReadiness', () => {
  beforeEach(() => jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined));
  afterEach(() => jest.useRealTimers());

  it('lets concurrent probes share one ping, and reuses its verdict briefly', async () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const { ping, calls } = controllablePing();
    const readiness = new DatabaseReadiness({ ping }, { connectTimeoutMs: 5000 });
    const probes = Array.from({ length: 50 }, () => readiness.check());
    expect(ping).toHaveBeenCalledTimes(1);
    calls[0].resolve();
    await expect(Promise.all(probes)).resolves.toEqual(Array(50).fill('up'));
    await expect(readiness.check()).resolves.toBe('up');
    expect(ping).toHaveBeenCalledTimes(1);

    jest.setSystemTime(1_000_000 + READINESS_CACHE_MS + 1);
    const later = readiness.check();
    expect(ping).toHaveBeenCalledTimes(2);
    calls[1].resolve();
    await expect(later).resolves.toBe('up');
  });

  it('drops a cached "up" as soon as a request has seen the database unreachable', async () => {
    jest.useFakeTimers({ now: 2_000_000 });
    const { ping, calls } = controllablePing();
    const readiness = new DatabaseReadiness({ ping }, { connectTimeoutMs: 5000 });
    const first = readiness.check();
    calls[0].resolve();
    await expect(first).resolves.toBe('up');

    jest.setSystemTime(2_000_000 + READINESS_CACHE_MS / 2);
    databaseOutage.seen();
    const next = readiness.check();
    expect(ping).toHaveBeenCalledTimes(2);
    calls[1].reject(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }));
    await expect(next).resolves.toBe('unreachable');
  });

  it('shares a failing ping among concurrent probes, but asks again after it', async () => {
    const { ping, calls } = controllablePing();
    const readiness = new DatabaseReadiness({ ping }, { connectTimeoutMs: 5000 });
    const probes = [readiness.check(), readiness.check(), readiness.check()];
    calls[0].reject(new Error('ping timeout after 1500 ms'));
    await expect(Promise.all(probes)).resolves.toEqual(['timeout', 'timeout', 'timeout']);
    const next = readiness.check();
    expect(ping).toHaveBeenCalledTimes(2);
    calls[1].resolve();
    await expect(next).resolves.toBe('up');
  });

  it.each([
    [
      'refused',
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:54391'), { code: 'ECONNREFUSED' }),
      'unreachable',
    ],
    ['terminated', new Error('Connection terminated unexpectedly'), 'unreachable'],
    ['a ping timeout', new Error('ping timeout after 1500 ms'), 'timeout'],
    ['a refused password', Object.assign(new Error('password authentication failed'), { code: '28P01' }), 'failing'],
  ])('names the state of %s, and logs the driver detail instead of answering it', async (_name, error, state) => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const readiness = new DatabaseReadiness({ ping: () => Promise.reject(error) }, { connectTimeoutMs: 5000 });
    await expect(readiness.check()).resolves.toBe(state);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining(error.message));
  });
});
