import { MigrationInterface, QueryRunner } from 'typeorm';
import { withLockTimeout } from './safe-migration';

/** The catalog first, then the owner's schema, temporary objects last: nothing the caller creates is found first. */
const FIXED_SEARCH_PATH = 'pg_catalog, public, pg_temp';

/**
 * The book_words triggers run as the function's owner (SECURITY DEFINER), so the serving role needs
 * only SELECT on book_words (serving-grants.ts): it cannot write words that disagree with the books.
 * A SECURITY DEFINER function must not resolve names through the caller's search_path, so each
 * function gets a fixed one; books_search_vector touches no table and keeps running as its caller,
 * with the same fixed path. ALTER FUNCTION takes a brief lock on the function only.
 */
export class TriggerFunctionsRunAsOwner1796567615189 implements MigrationInterface {
  name = 'TriggerFunctionsRunAsOwner1796567615189';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await withLockTimeout(queryRunner, this.name, async () => {
      for (const fn of ['book_words_sync', 'book_words_truncate']) {
        await queryRunner.query(`ALTER FUNCTION ${fn}() SECURITY DEFINER SET search_path = ${FIXED_SEARCH_PATH}`);
      }
      await queryRunner.query(`ALTER FUNCTION books_search_vector() SET search_path = ${FIXED_SEARCH_PATH}`);
    });
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await withLockTimeout(queryRunner, this.name, async () => {
      await queryRunner.query(`ALTER FUNCTION books_search_vector() RESET search_path`);
      for (const fn of ['book_words_truncate', 'book_words_sync']) {
        await queryRunner.query(`ALTER FUNCTION ${fn}() SECURITY INVOKER RESET search_path`);
      }
    });
  }
}
