import { bookInput } from './factories/book.factory';
import { useBooksApp } from './helpers/books-app';
import { expectProblem } from './helpers/expect-problem';
import { query } from './helpers/test-database';

const APP_NAME = 'bookapi-dropped';

/**
 * The service's PostgreSQL backends die under it (pg_terminate_backend, as a failover or a
 * restart would do): reads are retried once on a fresh connection, writes are not, and a write
 * whose connection died during COMMIT says that its outcome is unknown.
 */
describe('dropped connections (real PostgreSQL)', () => {
  const fx = useBooksApp('dropped', { DB_APPLICATION_NAME: APP_NAME, DB_POOL_MAX: '6' });
  const api = () => fx.api();

  /** Terminates every backend of the service; returns how many there were. */
  const killAll = async (filter = 'true') =>
    (
      await query<{ n: number }>(
        fx.db.adminUrl,
        `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
         WHERE datname = $1 AND application_name = $2 AND ${filter}`,
        [fx.db.name, APP_NAME],
      )
    )[0].n;

  it('serves every read while all of its backends are killed again and again under load', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push((await api().post('/books').send(bookInput()).expect(201)).body.id);

    // A bounded load: 6 clients reading for about 5 s, every backend of the service killed once a
    // second (a restart or failover every second).
    const statuses = new Map<number, number>();
    let reads = 0;
    let running = true;
    const client = async (n: number) => {
      for (let i = n; running; i++) {
        const res = await (i % 2 ? api().get('/books?limit=5') : api().get(`/books/${ids[i % ids.length]}`));
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        reads += 1;
      }
    };
    const clients = Array.from({ length: 6 }, (_, n) => client(n));
    let killed = 0;
    for (let round = 0; round < 5; round++) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      killed += await killAll();
    }
    running = false;
    await Promise.all(clients);

    // The test means something only if backends really died while reads were running.
    expect(killed).toBeGreaterThanOrEqual(5);
    expect(reads).toBeGreaterThan(100);
    expect(Object.fromEntries(statuses)).toEqual({ 200: reads });
  });

  describe('writes', () => {
    beforeAll(async () => {
      // Titles pick where a write stalls: in its INSERT, or in a deferred trigger run by COMMIT.
      await query(
        fx.db.url,
        `CREATE FUNCTION stall() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN
           IF NEW.title = TG_ARGV[0] THEN PERFORM pg_sleep(30); END IF;
           RETURN NEW;
         END $$;
         CREATE TRIGGER stall_insert BEFORE INSERT ON books FOR EACH ROW EXECUTE FUNCTION stall('stall in insert');
         CREATE CONSTRAINT TRIGGER stall_commit AFTER INSERT ON books DEFERRABLE INITIALLY DEFERRED
           FOR EACH ROW EXECUTE FUNCTION stall('stall in commit');`,
      );
    });

    /** POSTs a book with `title`, kills the service's backend once it runs `phase`, returns the answer. */
    async function killDuring(title: string, phase: string) {
      const answer = api().post('/books').send(bookInput({ title }));
      const pending = answer.then((res) => res);
      for (let i = 0; i < 200; i++) {
        await new Promise((resolve) => setTimeout(resolve, 25));
        if ((await killAll(`wait_event = 'PgSleep' AND query ILIKE '${phase}%'`)) > 0) break;
      }
      return pending;
    }

    it('are not retried: killed before COMMIT, a 503 that does not claim an unknown outcome, nothing saved', async () => {
      const res = await killDuring('stall in insert', 'INSERT');
      expectProblem(res, 503, { type: 'service-unavailable' });
      expect(res.body.detail).not.toMatch(/may or may not/);
      await expect(
        query(fx.db.url, `SELECT count(*)::int AS n FROM books WHERE title = 'stall in insert'`),
      ).resolves.toEqual([{ n: 0 }]);
    });

    it('killed after COMMIT was sent: a 503 whose detail says the outcome is unknown', async () => {
      const res = await killDuring('stall in commit', 'COMMIT');
      expectProblem(res, 503, { type: 'service-unavailable', detail: /may or may not have been saved/ });
      expect(res.headers['retry-after']).toBeDefined();
    });
  });
});
