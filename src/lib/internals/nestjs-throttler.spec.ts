import { DependencyInternalsError } from './check';
import { checkThrottlerInternals } from './nestjs-throttler';

describe('@nestjs/throttler internals', () => {
  it('holds for the installed @nestjs/throttler', async () => {
    await expect(checkThrottlerInternals()).resolves.toBeUndefined();
  });

  it('refuses a storage record with a field a hand-built record would miss, naming the package and version', async () => {
    let stopped = false;
    const storage = {
      increment: () =>
        Promise.resolve({ totalHits: 1, timeToExpire: 1, isBlocked: false, timeToBlockExpire: 0, retryAfter: 1 }),
      onApplicationShutdown: () => {
        stopped = true;
      },
    };
    const outcome = checkThrottlerInternals(storage);
    await expect(outcome).rejects.toThrow(DependencyInternalsError);
    await expect(outcome).rejects.toThrow(/^@nestjs\/throttler \d+\.\d+\.\d+ lacks .*nestjs-throttler\.ts/);
    expect(stopped).toBe(true);
  });
});
