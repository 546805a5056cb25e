/**
 * The words() merge's join order, which ANALYZE of book_words moves (which list the Merge Join
 * Materializes as its inner side), timed from the client against a variant whose lists are
 * DISTINCT, so that the inner side is known unique and nothing is Materialized
 * (docs/decisions/0016-search-words-table.md, "Across ANALYZE runs"). On the table
 * search-plans.ts seeds:
 *
 *   LAB_URL=… npx ts-node -T bench/repro/merge-sides.ts 'Halfway silent' [rounds, default 12]
 *
 * Each round re-samples book_words, then prints each variant's median of 60 runs and its join order.
 */
import { Client } from 'pg';
import { ListStatements } from '../../src/books/books-list.statements';
import { ListBooksQueryDto } from '../../src/books/dto/list-books-query.dto';

async function main(): Promise<void> {
  const client = new Client({ connectionString: process.env.LAB_URL });
  await client.connect();
  const search = process.argv[2] ?? 'Halfway silent';
  const statement = new ListStatements(Object.assign(new ListBooksQueryDto(), { limit: 20, search })).words();
  const variants: Record<string, string> = {
    current: statement.sql,
    distinct: statement.sql.replace(
      /\(SELECT book_id FROM book_words WHERE/g,
      '(SELECT DISTINCT book_id FROM book_words WHERE',
    ),
  };
  const innerOf = async (sql: string) => {
    const { rows } = await client.query(`EXPLAIN (COSTS OFF) ${sql}`, statement.params);
    const text = rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n');
    const m = /Merge Join[^]*?word = '(\w+)'[^]*?word = '(\w+)'/.exec(text);
    return `${m?.[1]} outer, ${m?.[2]} inner${/Materialize/.test(text) ? ' (materialized)' : ''}`;
  };
  // Client-side time of the statement itself (EXPLAIN ANALYZE's per-row instrumentation would weigh
  // the Materialize and Unique nodes far above their cost), variants interleaved run by run.
  const timed = async () => {
    const times: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((name) => [name, []]));
    for (let i = 0; i < 60; i++) {
      for (const [name, sql] of Object.entries(variants)) {
        const start = process.hrtime.bigint();
        await client.query(sql, statement.params);
        times[name].push(Number(process.hrtime.bigint() - start) / 1e6);
      }
    }
    return Object.fromEntries(
      Object.entries(times).map(([name, t]) => [name, t.sort((a, b) => a - b)[Math.floor(t.length / 2)].toFixed(2)]),
    );
  };
  const rounds = Number(process.argv[3] ?? 12);
  for (let round = 0; round < rounds; round++) {
    await client.query('ANALYZE book_words');
    const medians = await timed();
    const out: string[] = [];
    for (const [name, sql] of Object.entries(variants)) out.push(`${name} ${medians[name]} ms [${await innerOf(sql)}]`);
    console.log(`${round}\t${out.join('\t')}`);
  }
  await client.end();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
