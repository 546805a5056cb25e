import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * One Idempotency-Key as used by one caller on one route: written with its answer in the
 * transaction of the write it guards, before COMMIT, so both exist or neither does.
 */
@Entity({ name: 'idempotency_keys' })
// BRIN on expires_at, for pruning: rows arrive in expiry order, and a BRIN index costs a write almost
// nothing. TypeORM cannot describe it, so it leaves it alone; migration IdempotencyKeyHash builds it.
@Index('idempotency_keys_expires_at_brin', { synchronize: false })
export class IdempotencyRecord {
  /** SHA-256 of scope, method, route and key (keyId() in idempotency-store.ts). */
  @PrimaryColumn({ type: 'bytea', primaryKeyConstraintName: 'idempotency_keys_pkey' })
  id!: Buffer;

  /** The caller's principal id, or the one anonymous scope; kept for people reading the table. */
  @Column({ type: 'text' })
  scope!: string;

  @Column({ type: 'text' })
  method!: string;

  /** The route's pattern, e.g. `/books/:id`; the concrete path is in the fingerprint. */
  @Column({ type: 'text' })
  route!: string;

  @Column({ type: 'text' })
  key!: string;

  /** SHA-256 of the method, path and canonical body (fingerprint.ts). */
  @Column({ type: 'bytea' })
  fingerprint!: Buffer;

  /** The recorded answer; nullable from when a key was claimed first and answered by an UPDATE (record 0021). */
  @Column({ type: 'smallint', nullable: true })
  status!: number | null;

  /** The response body as sent (JSON text), NULL for 204. */
  @Column({ type: 'text', nullable: true })
  body!: string | null;

  @Column({ type: 'text', nullable: true })
  location!: string | null;

  @Column({ type: 'text', nullable: true })
  etag!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;
}
