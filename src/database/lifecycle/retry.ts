export interface RetryOptions {
  /** Give up once this many milliseconds have passed since the first attempt. */
  deadlineMs: number;
  /** Only errors this accepts are retried; any other is thrown at once. */
  isRetryable: (error: unknown) => boolean;
  initialDelayMs?: number;
  maxDelayMs?: number;
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  random?: () => number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `attempt` until it succeeds, retrying retryable errors with exponential backoff
 * and full jitter until the deadline. The last error is rethrown when time runs out.
 */
export async function retryWithBackoff<T>(attempt: (n: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const sleep = options.sleep ?? defaultSleep;
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const initial = options.initialDelayMs ?? 100;
  const max = options.maxDelayMs ?? 2000;
  const started = now();
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      const remaining = options.deadlineMs - (now() - started);
      if (!options.isRetryable(error) || remaining <= 0) throw error;
      const ceiling = Math.min(max, initial * 2 ** (n - 1));
      const delay = Math.min(remaining, Math.max(10, Math.round(ceiling * random())));
      options.onRetry?.(error, n, delay);
      await sleep(delay);
    }
  }
}
