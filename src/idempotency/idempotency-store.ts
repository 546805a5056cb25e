import { IDEMPOTENCY_KEY_LOCK_CLASS } from '../database/lifecycle/advisory-lock';

/** Which key a request uses, and what makes a retry the same request. */
export interface KeyClaim {
  scope: string;
  method: string;
  route: string;
  key: string;
  fingerprint: Buffer;
  ttlHours: number;
}

/** The answer recorded under a key, to be replayed. */
export interface RecordedAnswer {
  status: number;
  /** JSON text as first sent; null for an empty body (204). */
  body: string | null;
  location: string | null;
  etag: string | null;
}

/** One statement on the write's transaction (TransactionRunner.query); `name` may prepare it once per connection. */
export type Statement = <R>(sql: string, params: unknown[], name: string) => Promise<R[]>;

export type LookupResult =
  /** Held by this transaction now, with no live answer: the write may run. */
  | { kind: 'free' }
  /** Another transaction holds the key now: it has not committed or rolled back yet. */
  | { kind: 'busy' }
  | { kind: 'recorded'; fingerprint: Buffer; answer: RecordedAnswer };

/**
 * A transaction-scoped advisory lock on the key's hash shows whether another request holds the key
 * right now (it keeps the lock until it commits or rolls back), so a retry never blocks inside
 * PostgreSQL; with the lock, the key's live answer if there is one (one row either way). The row is
 * read with the statement's snapshot, taken before the lock: an answer committed in between is
 * missed here and caught by RECORD's conflict (see recordAnswer).
 */
const LOOKUP = `SELECT pg_try_advisory_xact_lock($5, hashtext(concat_ws(E'\\n', $1::text, $2::text, $3::text, $4::text))) AS free,
    k.fingerprint, k.status, k.body, k.location, k.etag
  FROM (SELECT) AS one LEFT JOIN idempotency_keys k
    ON k.scope = $1 AND k.method = $2 AND k.route = $3 AND k.key = $4 AND k.expires_at > now()`;

/**
 * The key and its answer in one row, one statement, after the write: no claim row to update, so no
 * second tuple version. Takes over an expired key that pruning has not removed yet; a live one
 * answers no row.
 */
const RECORD = `INSERT INTO idempotency_keys AS k
    (scope, method, route, key, fingerprint, status, body, location, etag, expires_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now() + make_interval(hours => $10))
  ON CONFLICT (scope, method, route, key) DO UPDATE
    SET fingerprint = EXCLUDED.fingerprint, status = EXCLUDED.status, body = EXCLUDED.body,
        location = EXCLUDED.location, etag = EXCLUDED.etag, created_at = now(), expires_at = EXCLUDED.expires_at
    WHERE k.expires_at <= now()
  RETURNING 1`;

type LookupRow = { free: boolean; fingerprint: Buffer | null } & {
  [K in keyof RecordedAnswer]: RecordedAnswer[K] | null;
};

/** Takes the key for this transaction (on the primary), or reads the answer it recorded. */
export async function lookUpKey(query: Statement, claim: KeyClaim): Promise<LookupResult> {
  const { scope, method, route, key } = claim;
  const [row] = await query<LookupRow>(LOOKUP, [scope, method, route, key, IDEMPOTENCY_KEY_LOCK_CLASS], 'idem_lookup');
  if (!row.free) return { kind: 'busy' };
  if (row.fingerprint === null) return { kind: 'free' };
  // Rows commit with their answer; one without (never seen) is treated as still in flight.
  if (row.status === null) return { kind: 'busy' };
  return {
    kind: 'recorded',
    fingerprint: row.fingerprint,
    answer: { status: row.status, body: row.body, location: row.location, etag: row.etag },
  };
}

/**
 * Stores the key with its answer, in the write's transaction, before COMMIT. False when a live
 * answer is there already: one that committed between LOOKUP's snapshot and its lock, so this
 * transaction must roll back and replay that one.
 */
export async function recordAnswer(query: Statement, claim: KeyClaim, answer: RecordedAnswer): Promise<boolean> {
  const { scope, method, route, key } = claim;
  const params = [
    scope,
    method,
    route,
    key,
    claim.fingerprint,
    answer.status,
    answer.body,
    answer.location,
    answer.etag,
  ];
  const rows = await query(RECORD, [...params, claim.ttlHours], 'idem_record');
  return rows.length > 0;
}
