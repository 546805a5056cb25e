import { MigrationInterface, QueryRunner } from 'typeorm';
import { withLockTimeout } from './safe-migration';

/**
 * The idempotency_keys table (IdempotencyRecord) and the index pruning walks; a new, empty table,
 * so its index is built in the same transaction, not concurrently.
 */
export class IdempotencyKeys1796567730217 implements MigrationInterface {
  name = 'IdempotencyKeys1796567730217';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await withLockTimeout(queryRunner, this.name, async () => {
      await queryRunner.query(
        `CREATE TABLE "idempotency_keys" ("scope" text NOT NULL, "method" text NOT NULL, "route" text NOT NULL, "key" text NOT NULL, "fingerprint" bytea NOT NULL, "status" smallint, "body" text, "location" text, "etag" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "idempotency_keys_pkey" PRIMARY KEY ("scope", "method", "route", "key"))`,
      );
      await queryRunner.query(`CREATE INDEX "idempotency_keys_expires_at_idx" ON "idempotency_keys" ("expires_at")`);
    });
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await withLockTimeout(queryRunner, this.name, async () => {
      await queryRunner.query(`DROP INDEX "public"."idempotency_keys_expires_at_idx"`);
      await queryRunner.query(`DROP TABLE "idempotency_keys"`);
    });
  }
}
