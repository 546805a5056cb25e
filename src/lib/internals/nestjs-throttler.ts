import { ThrottlerStorageService, type ThrottlerStorage } from '@nestjs/throttler';
import { assertInternals, installedVersion } from './check';

/**
 * What a throttler storage returns for a hit. Derived from the public ThrottlerStorage interface
 * rather than imported from the file that declares it (`dist/...`), which may move in any release.
 */
export type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/** The fields a storage that builds its own records (the Redis one) fills in. */
export const THROTTLER_RECORD_FIELDS = [
  'isBlocked',
  'timeToBlockExpire',
  'timeToExpire',
  'totalHits',
] as const satisfies readonly (keyof ThrottlerStorageRecord)[];

type Storage = Pick<ThrottlerStorageService, 'increment' | 'onApplicationShutdown'>;

/**
 * The in-memory storage's record has exactly the fields a hand-built record fills in: a field the
 * guard starts to read would otherwise be missing from every record that came from Redis.
 */
export async function checkThrottlerInternals(storage: Storage = new ThrottlerStorageService()): Promise<void> {
  let fields: string[] = [];
  try {
    fields = Object.keys(await storage.increment('internals-probe', 1000, 10, 0, 'default')).sort();
  } finally {
    storage.onApplicationShutdown();
  }
  assertInternals('@nestjs/throttler', () => installedVersion('@nestjs/throttler'), 'nestjs-throttler.ts', {
    [`a storage record of exactly ${THROTTLER_RECORD_FIELDS.join(', ')}`]: () =>
      fields.join() === THROTTLER_RECORD_FIELDS.join(),
  });
}
