import { randomUUID } from 'node:crypto';
import { bookInput, type BookInput } from './factories/book.factory';
import { SpawnedApp, useSpawnedApp, waitForListening } from './helpers/spawn-app';
import { query } from './helpers/test-database';

const POSTS = 30;

/** Without credentials, as the other suites run; two connections, so most POSTs queue. */
const ENV = {
  NODE_ENV: 'test',
  LOG_LEVEL: 'log',
  THROTTLE_ENABLED: 'false',
  AUTH_DISABLED: 'true',
  DB_POOL_MAX: '2',
};

interface Attempt {
  key: string;
  book: BookInput;
  status?: number;
  body?: string;
}

async function post(baseUrl: string, attempt: Attempt): Promise<{ status: number; body: string; replayed: boolean }> {
  const res = await fetch(`${baseUrl}/books`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': attempt.key },
    body: JSON.stringify(attempt.book),
    signal: AbortSignal.timeout(20_000),
  });
  return { status: res.status, body: await res.text(), replayed: res.headers.get('idempotent-replayed') === 'true' };
}

/**
 * The service is killed with SIGKILL while 30 keyed POSTs are in flight, so some committed, some
 * were cut off inside their transaction and some never started. After a restart every POST is
 * retried with its key: each gets 201, and each key has made exactly one book.
 */
describe('Idempotency-Key: SIGKILL with keyed POSTs in flight, then retries', () => {
  const fx = useSpawnedApp('idempotency_crash');
  let app: SpawnedApp | undefined;

  afterAll(async () => {
    await app?.stop('SIGKILL');
  });

  it('each retried key made exactly one book, and every retry gets 201', async () => {
    app = fx.start(ENV);
    const firstUrl = await waitForListening(app);
    const attempts: Attempt[] = Array.from({ length: POSTS }, () => ({ key: randomUUID(), book: bookInput() }));

    let killed!: () => void;
    const firstAnswer = new Promise<void>((resolve) => (killed = resolve));
    const inFlight = attempts.map(async (attempt) => {
      try {
        const res = await post(firstUrl, attempt);
        attempt.status = res.status;
        attempt.body = res.body;
        killed();
      } catch {
        // Cut off by the kill: outcome unknown to the client, which is what the key is for.
      }
    });
    await firstAnswer;
    app.proc.kill('SIGKILL');
    await app.exited;
    await Promise.all(inFlight);
    const answered = attempts.filter((attempt) => attempt.status !== undefined);
    expect(answered.length).toBeGreaterThan(0);
    expect(answered.length).toBeLessThan(POSTS);
    for (const attempt of answered) expect(attempt.status).toBe(201);

    app = fx.start(ENV);
    const secondUrl = await waitForListening(app);
    const retries = await Promise.all(attempts.map((attempt) => post(secondUrl, attempt)));
    retries.forEach((retry, i) => {
      expect(retry.status).toBe(201);
      // A try the client saw answered is replayed with the very same body.
      if (attempts[i].body !== undefined)
        expect(retry).toEqual({ status: 201, body: attempts[i].body, replayed: true });
    });

    const rows = await query<{ isbn: string; n: number; id: string }>(
      fx.db.url,
      'SELECT isbn, count(*)::int AS n, min(id::text) AS id FROM books GROUP BY isbn',
    );
    expect(rows).toHaveLength(POSTS);
    const byIsbn = new Map(rows.map((row) => [row.isbn, row]));
    attempts.forEach((attempt, i) => {
      const row = byIsbn.get(attempt.book.isbn);
      expect(row?.n).toBe(1);
      expect((JSON.parse(retries[i].body) as { id: string }).id).toBe(row?.id);
    });
    const keys = await query<{ n: number }>(fx.db.url, 'SELECT count(*)::int AS n FROM idempotency_keys');
    expect(keys[0].n).toBe(POSTS);
  });
});
