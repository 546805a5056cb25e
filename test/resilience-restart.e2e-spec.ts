import { isbn13Of } from './factories/book.factory';
import { useClusterApp } from './helpers/cluster-app';
import { query } from './helpers/test-database';

const WORKERS = 6;
const RESTARTS = 4;
/** Acknowledged writes to wait for before the first restart and after each one. */
const PROGRESS = 15;

const isbn13 = (n: number) => isbn13Of('979', n);

interface Tally {
  acknowledged: Map<string, string>;
  /** ISBNs whose POST got a 503 and whose retry got a 409: the first attempt had committed. */
  committedBehind503: string[];
  unavailable: number;
  failures: string[];
}

/**
 * No acknowledged write is lost: workers POST books with ISBNs they chose while the private
 * cluster is restarted with `pg_ctl restart -m immediate` (fsync on), and afterwards every 201
 * is in the table exactly once. 503s are retried with the same ISBN, so every row is explained.
 */
describe('resilience: no acknowledged write lost across immediate restarts', () => {
  const fx = useClusterApp('restart', { DB_APPLICATION_NAME: 'bookapi-restart-test' });

  async function worker(index: number, tally: Tally, stopped: () => boolean): Promise<void> {
    for (let n = 0; !stopped(); n++) {
      const isbn = isbn13(index * 1_000_000 + n);
      let saw503 = false;
      for (;;) {
        let status: number;
        let body: { id?: string };
        try {
          const res = await fetch(`${fx.baseUrl}/books`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ title: `Worker ${index}`, author: 'Restart', isbn, publishedYear: 2020 }),
            signal: AbortSignal.timeout(10_000),
          });
          status = res.status;
          body = (await res.json()) as { id?: string };
        } catch (error) {
          tally.failures.push(`${isbn}: ${(error as Error).message}`);
          return;
        }
        if (status === 201 && body.id) {
          tally.acknowledged.set(isbn, body.id);
        } else if (status === 503) {
          tally.unavailable++;
          saw503 = true;
          await new Promise((resolve) => setTimeout(resolve, 50));
          continue;
        } else if (status === 409 && saw503) {
          tally.committedBehind503.push(isbn);
        } else {
          tally.failures.push(`${isbn}: ${status} ${JSON.stringify(body)}`);
        }
        break;
      }
    }
  }

  async function progress(tally: Tally, from: number, what: string): Promise<void> {
    const deadline = Date.now() + 20_000;
    while (tally.acknowledged.size < from + PROGRESS) {
      if (Date.now() > deadline) throw new Error(`no progress ${what}: ${JSON.stringify(tally.failures)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it(`keeps every 201 through ${RESTARTS} immediate restarts, answers no 500, and never exits`, async () => {
    const tally: Tally = { acknowledged: new Map(), committedBehind503: [], unavailable: 0, failures: [] };
    let stop = false;
    const workers = Array.from({ length: WORKERS }, (_, i) => worker(i + 1, tally, () => stop));
    try {
      await progress(tally, 0, 'before the first restart');
      for (let restart = 1; restart <= RESTARTS; restart++) {
        await fx.cluster.restart('immediate');
        await progress(tally, tally.acknowledged.size, `after restart ${restart}`);
      }
    } finally {
      stop = true;
      await Promise.all(workers);
    }

    expect(tally.failures).toEqual([]);
    expect({ exitCode: fx.app.proc.exitCode, signal: fx.app.proc.signalCode }).toEqual({
      exitCode: null,
      signal: null,
    });
    expect(fx.app.output()).not.toMatch(/ 500 |internal-error/);

    const rows = await query<{ isbn: string; id: string; copies: number }>(
      fx.dbUrl,
      'SELECT isbn, min(id::text) AS id, count(*)::int AS copies FROM books GROUP BY isbn',
    );
    const stored = new Map(rows.map((row) => [row.isbn, row]));
    const lost = [...tally.acknowledged].filter(([isbn, id]) => stored.get(isbn)?.id !== id);
    expect(lost).toEqual([]);
    expect(rows.filter((row) => row.copies !== 1)).toEqual([]);
    // Every row is explained: acknowledged, or committed behind a 503 and reported by the retry's 409.
    expect(rows.length).toBe(tally.acknowledged.size + tally.committedBehind503.length);
    console.log(
      `${RESTARTS} immediate restarts: ${tally.acknowledged.size} acknowledged, ${tally.unavailable} x 503 (retried), ` +
        `${tally.committedBehind503.length} committed behind a 503 (409 on retry), 0 lost`,
    );
  });
});
