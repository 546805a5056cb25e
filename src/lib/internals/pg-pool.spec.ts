import type { Pool } from 'pg';
import { DependencyInternalsError } from './check';
import { checkPgPoolInternals, discardIdleConnections } from './pg-pool';

describe('pg-pool internals', () => {
  it('holds for the pg-pool that pg loads', () => {
    expect(() => checkPgPoolInternals()).not.toThrow();
  });

  it('refuses a pool without _idle and _remove, naming pg-pool and its version', () => {
    let thrown: unknown;
    try {
      checkPgPoolInternals(() => ({ idle: [], remove: () => undefined }));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(DependencyInternalsError);
    expect((thrown as Error).message).toMatch(
      /^pg-pool \d+\.\d+\.\d+ lacks .*\(Pool#_idle; Pool#_remove; the Client option\)/,
    );
  });

  it('closes each idle connection, and none without a pool', () => {
    const removed: unknown[] = [];
    const pool = { _idle: [{ client: 'a' }, { client: 'b' }], _remove: (client: unknown) => removed.push(client) };
    expect(discardIdleConnections(pool as unknown as Pool)).toBe(2);
    expect(removed).toEqual(['a', 'b']);
    expect(discardIdleConnections(undefined)).toBe(0);
  });
});
