import { MigrationInterface, QueryRunner } from 'typeorm';
import { withLockTimeout } from './safe-migration';

/** Histogram and most-common-values entries kept for `title` and `author` (PostgreSQL's default: 100). */
export const TEXT_STATISTICS_TARGET = 300;

/**
 * GET /books?q= picks its plan by the planner's estimate of the matches (books-list.query.ts).
 * For `ILIKE '%term%'` that estimate is the share of the column's most-common values and
 * histogram entries that match. With PostgreSQL's default of 100 of each, a common term is
 * sometimes absent from them, is then estimated as rare, and the request takes the few-matches
 * plan, which reads every posting of the term's trigrams before it finds out. 300 makes that miss
 * rare; more entries would cost every q request more planning, since each entry is matched
 * against the pattern (docs/decisions/0014-search-statistics-target.md).
 *
 * SET STATISTICS takes a SHARE UPDATE EXCLUSIVE lock (reads and writes go on), then the two
 * columns are analyzed so the new target counts at once.
 */
export class BookSearchStatistics1796100000000 implements MigrationInterface {
  name = 'BookSearchStatistics1796100000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await this.setTarget(queryRunner, TEXT_STATISTICS_TARGET);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await this.setTarget(queryRunner, -1);
  }

  private async setTarget(queryRunner: QueryRunner, target: number): Promise<void> {
    await withLockTimeout(queryRunner, this.name, async () => {
      await queryRunner.query(
        `ALTER TABLE "books" ALTER COLUMN "title" SET STATISTICS ${target}, ALTER COLUMN "author" SET STATISTICS ${target}`,
      );
      await queryRunner.query(`ANALYZE "books" ("title", "author")`);
    });
  }
}
