import { MigrationInterface, QueryRunner } from 'typeorm';
import { withLockTimeout } from './safe-migration';

/**
 * `created_by` and `updated_by` on books: the caller (token subject or API key name) that created
 * and last changed each book; NULL for books written with access control off or before this.
 * Nullable columns without a default: a catalogue change, no table rewrite.
 */
export class BookAuthors1796568609659 implements MigrationInterface {
  name = 'BookAuthors1796568609659';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await withLockTimeout(queryRunner, this.name, async () => {
      await queryRunner.query(`ALTER TABLE "books" ADD COLUMN IF NOT EXISTS "created_by" text`);
      await queryRunner.query(`ALTER TABLE "books" ADD COLUMN IF NOT EXISTS "updated_by" text`);
    });
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await withLockTimeout(queryRunner, this.name, async () => {
      await queryRunner.query(`ALTER TABLE "books" DROP COLUMN IF EXISTS "updated_by"`);
      await queryRunner.query(`ALTER TABLE "books" DROP COLUMN IF EXISTS "created_by"`);
    });
  }
}
