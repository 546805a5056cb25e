import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * One Idempotency-Key as used by one caller on one route: written with its answer in the
 * transaction of the write it guards, before COMMIT, so both exist or neither does.
 */
@Entity({ name: 'idempotency_keys' })
@Index('idempotency_keys_expires_at_idx', ['expiresAt'])
export class IdempotencyRecord {
  /** The caller's principal id, or the one anonymous scope. */
  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'idempotency_keys_pkey' })
  scope!: string;

  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'idempotency_keys_pkey' })
  method!: string;

  /** The route's pattern, e.g. `/books/:id`; the concrete path is in the fingerprint. */
  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'idempotency_keys_pkey' })
  route!: string;

  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'idempotency_keys_pkey' })
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
