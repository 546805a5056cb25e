import { retryWithBackoff } from './retry';

function fakeClock() {
  let now = 0;
  const sleeps: number[] = [];
  return {
    now: () => now,
    sleep: (ms: number) => {
      sleeps.push(ms);
      now += ms;
      return Promise.resolve();
    },
    sleeps,
  };
}

describe('retryWithBackoff', () => {
  it('retries retryable errors with growing, jittered, capped delays', async () => {
    const clock = fakeClock();
    let calls = 0;
    const result = await retryWithBackoff(
      () => (++calls < 6 ? Promise.reject(new Error('ECONNREFUSED')) : Promise.resolve('up')),
      { deadlineMs: 60_000, isRetryable: () => true, initialDelayMs: 100, maxDelayMs: 1000, random: () => 1, ...clock },
    );
    expect(result).toBe('up');
    expect(clock.sleeps).toEqual([100, 200, 400, 800, 1000]);
  });

  it('fails at once on an error that is not retryable', async () => {
    const clock = fakeClock();
    const auth = Object.assign(new Error('password authentication failed'), { code: '28P01' });
    await expect(
      retryWithBackoff(() => Promise.reject(auth), { deadlineMs: 60_000, isRetryable: () => false, ...clock }),
    ).rejects.toBe(auth);
    expect(clock.sleeps).toEqual([]);
  });

  it('gives up with the last error once the deadline has passed', async () => {
    const clock = fakeClock();
    let calls = 0;
    await expect(
      retryWithBackoff(() => Promise.reject(new Error(`attempt ${++calls}`)), {
        deadlineMs: 1000,
        isRetryable: () => true,
        random: () => 1,
        ...clock,
      }),
    ).rejects.toThrow(/attempt \d+/);
    expect(clock.now()).toBeLessThanOrEqual(1000);
    expect(calls).toBeGreaterThan(1);
  });
});
