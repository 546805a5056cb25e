import { AsyncLocalStorage } from 'node:async_hooks';
import type { Lsn } from './lsn';

/**
 * What one HTTP request knows about read-your-writes, carried through its async calls so the
 * transaction helper and the read router need no extra parameters:
 * - `write`: the request changes data (not a GET); only then is a commit position collected,
 *   and only with `tokens`.
 * - `tokens`: reads may go to a replica (DATABASE_REPLICA_URLS), so a write's commit position is
 *   worth a round trip; with the primary alone every read already sees every write.
 * - `commitLsn`: set by the transaction helper after each COMMIT; the write's consistency token.
 * - `minLsn`: the token a read presented; only a replica that has replayed this far may serve it.
 * - `servedBy`: where the last read went (`primary` or a replica's name), for the response header;
 *   a later read of the same request prefers the same replica, so its statements agree.
 */
export interface ConsistencyState {
  write: boolean;
  tokens: boolean;
  commitLsn?: Lsn;
  minLsn?: Lsn;
  servedBy?: string;
}

const storage = new AsyncLocalStorage<ConsistencyState>();

export const ConsistencyScope = {
  run<T>(state: ConsistencyState, work: () => T): T {
    return storage.run(state, work);
  },

  /** The current request's state; undefined outside one (CLI, startup, background work). */
  current(): ConsistencyState | undefined {
    return storage.getStore();
  },

  /** Keeps the furthest commit of the request: a handler may commit more than once. */
  noteCommit(lsn: Lsn): void {
    const state = storage.getStore();
    if (state && (state.commitLsn === undefined || lsn > state.commitLsn)) state.commitLsn = lsn;
  },
};
