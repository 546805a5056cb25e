import type { EntityManager } from 'typeorm';
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

export type ClaimResult =
  | { kind: 'claimed' }
  /** Another transaction holds the key now: it has not committed or rolled back yet. */
  | { kind: 'busy' }
  | { kind: 'recorded'; fingerprint: Buffer; answer: RecordedAnswer };

/**
 * The claim, in one statement: a transaction-scoped advisory lock on the key's hash shows whether
 * another request holds the key right now (it keeps the lock until it commits or rolls back), so a
 * retry never blocks inside PostgreSQL; with the lock, the INSERT claims a new key, or takes over
 * an expired one that pruning has not removed yet.
 */
const CLAIM = `WITH lock AS (
    SELECT pg_try_advisory_xact_lock($7, hashtext(concat_ws(E'\\n', $1::text, $2::text, $3::text, $4::text))) AS free
  ), claim AS (
    INSERT INTO idempotency_keys AS k (scope, method, route, key, fingerprint, expires_at)
    SELECT $1, $2, $3, $4, $5, now() + make_interval(hours => $6) FROM lock WHERE lock.free
    ON CONFLICT (scope, method, route, key) DO UPDATE
      SET fingerprint = EXCLUDED.fingerprint, status = NULL, body = NULL, location = NULL, etag = NULL,
          created_at = now(), expires_at = EXCLUDED.expires_at
      WHERE k.expires_at <= now()
    RETURNING 1
  )
  SELECT (SELECT free FROM lock) AS free, EXISTS (SELECT FROM claim) AS claimed`;

/** A new statement, so a new snapshot: it sees the row the key's last holder committed. */
const FIND = `SELECT fingerprint, status, body, location, etag FROM idempotency_keys
  WHERE scope = $1 AND method = $2 AND route = $3 AND key = $4`;

const RECORD = `UPDATE idempotency_keys SET status = $5, body = $6, location = $7, etag = $8
  WHERE scope = $1 AND method = $2 AND route = $3 AND key = $4`;

/** Claims the key inside the write's transaction (on the primary), or reads what it recorded. */
export async function claimKey(manager: EntityManager, claim: KeyClaim): Promise<ClaimResult> {
  const { scope, method, route, key } = claim;
  const [{ free, claimed }] = await manager.query<{ free: boolean; claimed: boolean }[]>(CLAIM, [
    scope,
    method,
    route,
    key,
    claim.fingerprint,
    claim.ttlHours,
    IDEMPOTENCY_KEY_LOCK_CLASS,
  ]);
  if (!free) return { kind: 'busy' };
  if (claimed) return { kind: 'claimed' };
  const [row] = await manager.query<(RecordedAnswer & { fingerprint: Buffer })[]>(FIND, [scope, method, route, key]);
  // Gone since the claim (pruned as expired), or never given an answer: try again.
  if (!row || row.status === null) return { kind: 'busy' };
  const { fingerprint, ...answer } = row;
  return { kind: 'recorded', fingerprint, answer };
}

/** Stores the answer under the claimed key, in the same transaction, before COMMIT. */
export async function recordAnswer(manager: EntityManager, claim: KeyClaim, answer: RecordedAnswer): Promise<void> {
  const { scope, method, route, key } = claim;
  await manager.query(RECORD, [scope, method, route, key, answer.status, answer.body, answer.location, answer.etag]);
}
