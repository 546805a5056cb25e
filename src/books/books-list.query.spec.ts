import type { TransactionRunner } from '../database/runtime/transaction-runner';
import { BITMAP_ONLY, MATCH_CAP, SEARCH_CAP } from './books-list.bounds';
import type { PlanNode } from './books-list.plan';
import { BooksListQuery } from './books-list.query';
import { ListStatements, type Row } from './books-list.statements';
import { ListBooksQueryDto } from './dto/list-books-query.dto';

/**
 * BooksListQuery.run trying the plans in turn, against canned answers: the EXPLAIN of the estimate
 * statement, then each plan's rows. What runs is compared with the statements the request builds.
 */
function cannedDatabase(plan: PlanNode, answers: Partial<Row>[][]) {
  const ran: string[] = [];
  const answer = (sql: string): Promise<unknown> => {
    ran.push(sql);
    if (sql.startsWith('EXPLAIN')) return Promise.resolve([{ 'QUERY PLAN': [{ Plan: plan }] }]);
    if (sql === BITMAP_ONLY) return Promise.resolve([]);
    return Promise.resolve(answers.shift());
  };
  const books = { query: answer } as unknown as ConstructorParameters<typeof BooksListQuery>[0];
  const transactions = { run: (work: (manager: unknown) => unknown) => work({ query: answer }) };
  return { list: new BooksListQuery(books, transactions as unknown as TransactionRunner), ran };
}

const none = { id: null } as unknown as Partial<Row>;
const query = (fields: Partial<ListBooksQueryDto>) => Object.assign(new ListBooksQueryDto(), fields);
const append = (...rows: number[]): PlanNode => ({
  'Node Type': 'Append',
  'Plan Rows': 0,
  Plans: rows.map((count) => ({ 'Node Type': 'Seq Scan', 'Plan Rows': count })),
});

describe('BooksListQuery.run: each plan that declines hands the request to the next', () => {
  it(`walks when sparse finds more than ${MATCH_CAP} matches, and estimates the total`, async () => {
    const request = query({ author: 'Anonymous' });
    const { list, ran } = cannedDatabase({ 'Node Type': 'Index Scan', 'Plan Rows': 700 }, [
      [{ ...none, total: MATCH_CAP + 1 }],
      [{ ...none, end_id: null, end_key: null }],
    ]);
    const page = await list.run(request, undefined);
    const statements = new ListStatements(request);
    expect(ran).toEqual([statements.estimate().sql, statements.sparse().sql, statements.walk().sql]);
    expect(page).toEqual({ data: [], meta: { page: 1, limit: 20, total: 700, totalEstimated: true } });
  });

  it('goes from words (cut by its budget) to the sample (too few) to the index under BITMAP_ONLY', async () => {
    const request = query({ search: 'Halfway Silent' });
    const { list, ran } = cannedDatabase(append(9_000, 500_000, 26_000, 1_000_000), [
      [{ ...none, total: 3, applies: true, cut: true }],
      [{ ...none, total: SEARCH_CAP }],
      [{ ...none, total: 0 }],
    ]);
    const page = await list.run(request, undefined);
    const statements = new ListStatements(request);
    expect(ran).toEqual([
      statements.estimate().sql,
      statements.words().sql,
      statements.search('sample', 9_000).sql,
      BITMAP_ONLY,
      statements.search('index', undefined, ['halfway']).sql,
    ]);
    expect(page.meta).toEqual({ page: 1, limit: 20, total: 0 });
  });

  it(`serves from the sample when it holds more than ${SEARCH_CAP}, with the estimate as the total`, async () => {
    const request = query({ search: 'winter' });
    const { list, ran } = cannedDatabase({ 'Node Type': 'Bitmap Heap Scan', 'Plan Rows': 80_000 }, [
      [{ ...none, total: SEARCH_CAP + 1 }],
    ]);
    const page = await list.run(request, undefined);
    expect(ran).toHaveLength(2);
    expect(page.meta).toEqual({ page: 1, limit: 20, total: 80_000, totalEstimated: true });
  });
});
