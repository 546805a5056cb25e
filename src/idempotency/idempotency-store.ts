import { hash } from 'node:crypto';

/** Which key a request uses, and what makes a retry the same request. */
export interface KeyClaim {
  /** keyId() of scope, method, route and key: the row's primary key. */
  id: Buffer;
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

export interface FoundKey {
  fingerprint: Buffer;
  answer: RecordedAnswer;
}

/** One statement on a transaction (TransactionRunner.query); `name` may prepare it once per connection. */
export type Statement = <R>(sql: string, params: unknown[], name: string) => Promise<R[]>;

/**
 * A key's identity: SHA-256 of scope, method, route and key, each on its own line, in UTF-8. One
 * bytea compares as a memcmp where four text columns compared under the database's collation. The
 * key has no line break (idempotency-key.ts) and method and route come from a fixed set, so two
 * different keys never join to the same text. In SQL (migration IdempotencyKeyHash):
 * `sha256(convert_to(concat_ws(E'\n', scope, method, route, key), 'UTF8'))`.
 */
export function keyId(scope: string, method: string, route: string, key: string): Buffer {
  return hash('sha256', `${scope}\n${method}\n${route}\n${key}`, 'buffer');
}

/**
 * The key and its answer in one row, one statement, after the write: the happy path's only
 * statement about the key. Takes over an expired key that pruning has not removed yet; a live one
 * answers no row. If another transaction holds the key uncommitted, this waits for it inside
 * PostgreSQL, for at most `lock_timeout` (set here, in the same statement, because nothing of the
 * write runs after it; the setting ends with the transaction).
 */
const RECORD = `INSERT INTO idempotency_keys AS k
    (id, scope, method, route, key, fingerprint, status, body, location, etag, expires_at)
  SELECT $1::bytea, $2::text, $3::text, $4::text, $5::text, $6::bytea, $7::smallint, $8::text, $9::text, $10::text,
    now() + make_interval(hours => $11::int)
  WHERE set_config('lock_timeout', $12::text, true) IS NOT NULL
  ON CONFLICT (id) DO UPDATE
    SET scope = EXCLUDED.scope, method = EXCLUDED.method, route = EXCLUDED.route, key = EXCLUDED.key,
        fingerprint = EXCLUDED.fingerprint, status = EXCLUDED.status, body = EXCLUDED.body,
        location = EXCLUDED.location, etag = EXCLUDED.etag, created_at = now(), expires_at = EXCLUDED.expires_at
    WHERE k.expires_at <= now()
  RETURNING 1`;

/** The key's live answer. Only when the write or its record failed: not on the happy path. */
const LOOKUP = `SELECT fingerprint, status, body, location, etag FROM idempotency_keys
  WHERE id = $1 AND expires_at > now()`;

type LookupRow = { fingerprint: Buffer } & { [K in keyof RecordedAnswer]: RecordedAnswer[K] | null };

/**
 * Stores the key with its answer, in the write's transaction, before COMMIT. False when a live key
 * is there: recorded before, or by a request that held it and committed while this one waited.
 * Waits at most `waitMs` (at least 1 ms: 0 would mean no limit) for a request that holds it.
 */
export async function recordAnswer(
  query: Statement,
  claim: KeyClaim,
  answer: RecordedAnswer,
  waitMs: number,
): Promise<boolean> {
  const params = [
    claim.id,
    claim.scope,
    claim.method,
    claim.route,
    claim.key,
    claim.fingerprint,
    answer.status,
    answer.body,
    answer.location,
    answer.etag,
    claim.ttlHours,
    String(Math.max(1, Math.ceil(waitMs))),
  ];
  const rows = await query(RECORD, params, 'idem_record');
  return rows.length > 0;
}

/** The answer recorded under the key, if it is live. */
export async function lookUpKey(query: Statement, claim: KeyClaim): Promise<FoundKey | undefined> {
  const [row] = await query<LookupRow>(LOOKUP, [claim.id], 'idem_lookup');
  // Rows commit with their answer; the first version's claims without one (status NULL) are in flight.
  if (!row || row.status === null) return undefined;
  return {
    fingerprint: row.fingerprint,
    answer: { status: row.status, body: row.body, location: row.location, etag: row.etag },
  };
}
