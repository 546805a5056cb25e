import { MigrationInterface, QueryRunner } from 'typeorm';
import { withLockTimeout } from './safe-migration';

/**
 * `api_keys`: machine clients' keys (src/auth/api-keys), as the ApiKey entity describes them
 * (test/migrations.e2e-spec.ts checks for drift). Only each key's SHA-256 is stored. A new table,
 * so its unique index is built in the same transaction, not concurrently.
 */
export class ApiKeys1796567415928 implements MigrationInterface {
  name = 'ApiKeys1796567415928';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await withLockTimeout(queryRunner, this.name, async () => {
      await queryRunner.query(
        `CREATE TABLE "api_keys" ("id" character varying(16) NOT NULL, "name" character varying(100) NOT NULL, "secret_hash" bytea NOT NULL, "scopes" text array NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "expires_at" TIMESTAMP WITH TIME ZONE, "last_used_at" TIMESTAMP WITH TIME ZONE, "revoked_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "api_keys_pkey" PRIMARY KEY ("id"))`,
      );
      await queryRunner.query(`CREATE UNIQUE INDEX "api_keys_name_key" ON "api_keys" ("name")`);
    });
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await withLockTimeout(queryRunner, this.name, async () => {
      await queryRunner.query(`DROP INDEX "public"."api_keys_name_key"`);
      await queryRunner.query(`DROP TABLE "api_keys"`);
    });
  }
}
