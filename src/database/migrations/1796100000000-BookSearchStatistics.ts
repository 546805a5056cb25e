import { MigrationInterface, QueryRunner } from 'typeorm';
import { withLockTimeout } from './safe-migration';

/** Histogram and most-common-values entries kept for `title` and `author` (PostgreSQL's default: 100). */
export const TEXT_STATISTICS_TARGET = 300;

/**
 * GET /books?q= picks its plan by the planner's estimate of the matches (books-list.query.ts).
 * For `ILIKE '%term%'` that estimate is the share of the column's most-common values and
 * histogram entries that match: with 100 of each, a term in 4 % of the rows is absent from the
 * histogram once in about 60 ANALYZE runs, is then estimated at ~200 rows, and the request takes
 * the few-matches plan, which reads every posting of the term's trigrams before it finds out
 * (3-10x the page-1 latency at a million rows; bench/LISTS-LAB.md). With 300 entries that miss
 * happens about once in 200,000 runs for 4 % and once in 20 for 1 %; more entries would cost
 * every q request more planning (each entry is matched against the pattern).
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
