/**
 * Which list plans serve the scale step's search and q cases, and whether ANALYZE's random
 * sample changes that (docs/decisions/0016-search-words-table.md, "Across ANALYZE runs"; the q
 * estimates of a 4 % term, docs/decisions/0014-search-statistics-target.md). Runs
 * BooksListQuery itself on a database you own (LAB_URL), seeded as the bench seeds it:
 *
 *   DATABASE_URL=$LAB_URL npm run db:migrate
 *   LAB_URL=… npx ts-node -T bench/repro/search-plans.ts seed [rows, default 1000000]
 *   LAB_URL=… npx ts-node -T bench/repro/search-plans.ts [rounds, default 10] [timed runs, default 0]
 *
 * Each round after the first re-samples books and book_words (ANALYZE), then prints per case the
 * planner's estimates, the plans tried (a declined one is marked), a number for the shape of the
 * statement that served (EXPLAIN (COSTS OFF); SHOW_PLANS=1 prints each new one), and with timed
 * runs the median time of the whole request in this process. ONLY=<case prefix> runs one case.
 */
import { Client } from 'pg';
import { BooksListQuery } from '../../src/books/books-list.query';
import { ListBooksQueryDto } from '../../src/books/dto/list-books-query.dto';
import { seedScaleTable } from '../lib/scale-cases';

const CASES: Record<string, Partial<ListBooksQueryDto>> = {
  'page 1': {},
  'search two words': { search: 'silent Everywhere' },
  'search two words, one in half': { search: 'Halfway silent' },
  'search three words, one in half': { search: 'Halfway silent Everywhere' },
  'q long term': { q: 'Silent Harbor Halfway' },
  'q 4 % newest': { q: 'Tailwind' },
  'q 4 % oldest': { q: 'Headwind' },
  'q 4 % spread': { q: 'Everywhere' },
  'search 4 % spread': { search: 'Everywhere' },
  'search 0.01 %': { search: 'Needle' },
  'search 0 %': { search: 'Nowhere' },
};

type Rows = Record<string, unknown>[];

async function main(): Promise<void> {
  const client = new Client({ connectionString: process.env.LAB_URL });
  await client.connect();
  if (process.argv[2] === 'seed') {
    await seedScaleTable(client, Number(process.argv[3] ?? 1_000_000));
    await client.end();
    return;
  }
  const rounds = Number(process.argv[2] ?? 10);
  const timedRuns = Number(process.argv[3] ?? 0);

  // The last statement a plan ran, with the settings of its transaction (BITMAP_ONLY) if it had one.
  let last: { sql: string; params: unknown[]; settings?: string } | undefined;
  let settings: string | undefined;
  let inTransaction = false;
  const books = {
    query: async (sql: string, params: unknown[] = []): Promise<Rows> => {
      if (inTransaction && sql.startsWith('SELECT set_config')) settings = sql;
      else if (!sql.startsWith('EXPLAIN')) last = { sql, params, settings: inTransaction ? settings : undefined };
      return (await client.query(sql, params)).rows as Rows;
    },
  };
  const transactions = {
    run: async <T>(work: (manager: typeof books) => Promise<T>): Promise<T> => {
      inTransaction = true;
      await client.query('BEGIN');
      try {
        const result = await work(books);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      } finally {
        inTransaction = false;
        settings = undefined;
      }
    },
  };
  const shapeOfLast = async (): Promise<string> => {
    await client.query('BEGIN');
    try {
      if (last!.settings) await client.query(last!.settings);
      const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN (COSTS OFF) ${last!.sql}`, last!.params);
      // The sample's one-time filter carries the estimate as a constant: not a change of shape.
      return rows.map((row) => row['QUERY PLAN'].replace(/'[\d.e+]+'::double precision/, 'N')).join('\n');
    } finally {
      await client.query('ROLLBACK');
    }
  };

  const list = new BooksListQuery(books as never, transactions as never);
  // Each plan run, wrapped to record the estimates it was given and whether it served.
  const trail: string[] = [];
  let estimates: unknown;
  type PlanRun = (request: { estimates: unknown }) => Promise<unknown>;
  const plans = (list as unknown as { plans: Record<string, PlanRun> }).plans;
  for (const [name, run] of Object.entries(plans)) {
    plans[name] = async (request) => {
      estimates = request.estimates;
      const served = await run(request);
      trail.push(served ? name : `${name} (declined)`);
      return served;
    };
  }

  const shapes = new Map<string, number>();
  for (let round = 0; round < rounds; round++) {
    if (round > 0) await client.query('ANALYZE books; ANALYZE book_words');
    for (const [label, query] of Object.entries(CASES)) {
      if (process.env.ONLY && !label.startsWith(process.env.ONLY)) continue;
      const dto = Object.assign(new ListBooksQueryDto(), { limit: 20, ...query });
      trail.length = 0;
      await list.run(dto, undefined);
      const tried = trail.join(' > ');
      const shape = await shapeOfLast();
      if (!shapes.has(shape)) {
        shapes.set(shape, shapes.size);
        if (process.env.SHOW_PLANS) console.log(`shape ${shapes.size - 1}:\n${shape}`);
      }
      let timing = '';
      if (timedRuns) {
        const times: number[] = [];
        for (let i = 0; i < timedRuns; i++) {
          const start = process.hrtime.bigint();
          await list.run(dto, undefined);
          times.push(Number(process.hrtime.bigint() - start) / 1e6);
        }
        times.sort((x, y) => x - y);
        timing = `\tmedian ${times[Math.floor(times.length / 2)].toFixed(2)} ms`;
      }
      console.log(`${round}\t${label}\t${JSON.stringify(estimates)}\t${tried}\tshape ${shapes.get(shape)}${timing}`);
    }
  }
  await client.end();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
