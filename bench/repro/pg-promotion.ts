/**
 * Bytes a pg query leaves to the old generation, by how the statement is run: pg's callback form,
 * its promise form, and the two halves of the promise form's shape (a Query built without a callback
 * and given one afterwards, against a Query given a closure over itself when built). The service runs
 * the promise form through the callback form for this (docs/decisions/0008-pg-callback-query.md).
 *
 *   for m in callback promise assigned given; do
 *     LAB_URL=… node --no-warnings --max-semi-space-size=8 --trace-gc-nvp bench/repro/pg-promotion.ts $m 2>&1 |
 *       awk '/gc=s/{match($0,/promoted=[0-9]+/); p+=substr($0,RSTART+9,RLENGTH-9)} /statements/{n=$2}
 *            END {printf "%.0f bytes promoted per statement, %.1f MB in all\n", p/n, p/1e6}'
 *   done
 *
 * Node 24 runs this TypeScript file as it is. A two-client pool, two statements in flight, for
 * DURATION_S (default 5): a list page of 21 books from the bench's table (books, seeded as
 * bench/repro/pgbench/README.md says), so each result carries strings and Dates to parse.
 */
import pg from 'pg';

const mode = process.argv[2] ?? 'callback';
const SQL = 'SELECT * FROM books ORDER BY created_at, id LIMIT $1';
const pool = new pg.Pool({ connectionString: process.env.LAB_URL, max: 2 });

const runners: Record<string, (client: pg.PoolClient) => Promise<unknown>> = {
  callback: (client) =>
    new Promise((resolve, reject) =>
      client.query(SQL, [21], (error: Error | null, result) => (error ? reject(error) : resolve(result))),
    ),
  promise: (client) => client.query(SQL, [21]),
  // What pg's promise form does inside: the callback is a closure made after the Query.
  assigned: (client) => {
    const query = new pg.Query(SQL, [21]);
    const done = new Promise((resolve, reject) => {
      (query as unknown as { callback: (error: Error | null, result: unknown) => void }).callback = (error, result) =>
        error ? reject(error) : resolve(result);
    });
    void client.query(query);
    return done;
  },
  // A closure that refers to the Query, but given to its constructor.
  given: (client) =>
    new Promise((resolve, reject) => {
      const query: pg.Query = new pg.Query(SQL, [21], (error: Error | undefined, result: unknown) =>
        error ? reject(error) : resolve(query && result),
      );
      void client.query(query);
    }),
};

async function worker(run: (client: pg.PoolClient) => Promise<unknown>, until: number): Promise<number> {
  const client = await pool.connect();
  let statements = 0;
  try {
    while (Date.now() < until) {
      await run(client);
      statements++;
    }
  } finally {
    client.release();
  }
  return statements;
}

async function main(): Promise<void> {
  const run = runners[mode];
  if (!run) throw new Error(`usage: pg-promotion.ts ${Object.keys(runners).join('|')}`);
  const until = Date.now() + Number(process.env.DURATION_S ?? 5) * 1000;
  const counts = await Promise.all([worker(run, until), worker(run, until)]);
  await pool.end();
  console.error('statements', counts[0] + counts[1]);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
