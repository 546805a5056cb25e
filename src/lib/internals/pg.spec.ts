import { checkPgInternals, queryWithCallback } from './pg';
import { Client, Query } from 'pg';

type Callback = (error: Error | null, result?: unknown) => void;

/** A stand-in for pg's Client#query that records its arguments and answers through the callback. */
function fakeQuery(answer: { result?: unknown; error?: Error }) {
  const calls: unknown[][] = [];
  const query = (...args: unknown[]) => {
    calls.push(args);
    const callback = args[2] as Callback | undefined;
    if (typeof callback === 'function') queueMicrotask(() => callback(answer.error ?? null, answer.result));
    return 'returned by query';
  };
  return { query, calls };
}

describe('queryWithCallback', () => {
  it('runs the promise form through the callback form and resolves with the result', async () => {
    const result = { rows: [{ id: 1 }] };
    const { query, calls } = fakeQuery({ result });

    await expect(queryWithCallback(query, ['SELECT $1', [1]])).resolves.toBe(result);
    expect(calls).toHaveLength(1);
    expect(calls[0].slice(0, 2)).toEqual(['SELECT $1', [1]]);
    expect(typeof calls[0][2]).toBe('function');
  });

  it('rejects with the error pg reported, its fields kept', async () => {
    const error = Object.assign(new Error('duplicate key value'), { code: '23505' });
    const { query } = fakeQuery({ error });

    const outcome = queryWithCallback(query, ['INSERT …', []]) as Promise<unknown>;
    await expect(outcome).rejects.toBe(error);
    expect(error).toMatchObject({ code: '23505', message: 'duplicate key value' });
  });

  it('hands pg a copy of a config object, so the caller can reuse it', async () => {
    const { query, calls } = fakeQuery({ result: { rows: [] } });
    const config = { text: 'SELECT 1', values: [] };

    await queryWithCallback(query, [config]);
    expect(calls[0][0]).toEqual(config);
    expect(calls[0][0]).not.toBe(config);
    expect(config).toEqual({ text: 'SELECT 1', values: [] });
  });

  it('passes a call that brings its own callback through unchanged', () => {
    const { query, calls } = fakeQuery({ result: {} });
    const callback = () => undefined;

    expect(queryWithCallback(query, ['SELECT 1', callback])).toBe('returned by query');
    expect(queryWithCallback(query, ['SELECT $1', [1], callback])).toBe('returned by query');
    expect(calls).toEqual([
      ['SELECT 1', callback],
      ['SELECT $1', [1], callback],
    ]);
  });

  it('passes a submittable (Query object, cursor, stream) and a missing config through unchanged', () => {
    const { query, calls } = fakeQuery({ result: {} });
    const cursor = { submit: () => undefined };

    expect(queryWithCallback(query, [cursor])).toBe('returned by query');
    expect(queryWithCallback(query, [null])).toBe('returned by query');
    expect(calls).toEqual([[cursor], [null]]);
  });
});

describe('pg internals', () => {
  it('holds for the installed pg', () => {
    expect(() => checkPgInternals()).not.toThrow();
  });

  it('refuses a client without connection.stream, naming pg and its version', () => {
    const client = Object.assign(Object.create(Client.prototype) as Client, { host: 'probe.invalid', port: 5433 });
    let thrown: unknown;
    try {
      checkPgInternals({ client, query: new Query('SELECT 1') });
    } catch (error) {
      thrown = error;
    }
    expect((thrown as Error).message).toMatch(
      /^pg \d+\.\d+\.\d+ lacks what src\/lib\/internals\/pg\.ts relies on \(Client#connection\.stream\.destroy\)/,
    );
  });

  it('refuses a query that is not submittable', () => {
    expect(() =>
      checkPgInternals({ client: new Client('postgres://probe@probe.invalid:5433/probe'), query: {} }),
    ).toThrow('Query#submit');
  });
});
