import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * A machine client's key. Only the SHA-256 of the key is kept: the key is 256 random bits, so a
 * plain hash is as strong as a slow one, and the lookup id embedded in the key finds the row.
 */
@Entity({ name: 'api_keys' })
export class ApiKey {
  /** The lookup id embedded in the key (16 hex digits); the principal id is `key:<id>`. */
  @PrimaryColumn({ type: 'varchar', length: 16, primaryKeyConstraintName: 'api_keys_pkey' })
  id!: string;

  /** Who did it: what createdBy/updatedBy record for this key's requests. */
  @Index('api_keys_name_key', { unique: true })
  @Column({ type: 'varchar', length: 100 })
  name!: string;

  @Column({ name: 'secret_hash', type: 'bytea' })
  secretHash!: Buffer;

  @Column({ type: 'text', array: true })
  scopes!: string[];

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt!: Date | null;

  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true })
  lastUsedAt!: Date | null;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;
}
