import { MigrationInterface, QueryRunner } from 'typeorm';

export class InitialSchema1764100000000 implements MigrationInterface {
  name = 'InitialSchema1764100000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "books" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "title" character varying(300) NOT NULL, "author" character varying(200) NOT NULL, "isbn" character(13) NOT NULL, "published_year" integer NOT NULL, "page_count" integer, "summary" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "version" integer NOT NULL, CONSTRAINT "PK_f3f2f25a099d24e12545b70b022" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX "books_isbn_key" ON "books" ("isbn") `);
    await queryRunner.query(`CREATE INDEX "books_created_at_id_idx" ON "books" ("created_at", "id") `);
    await queryRunner.query(`CREATE INDEX "books_published_year_id_idx" ON "books" ("published_year", "id") `);
    await queryRunner.query(`CREATE INDEX "books_author_id_idx" ON "books" ("author", "id") `);
    await queryRunner.query(`CREATE INDEX "books_title_id_idx" ON "books" ("title", "id") `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."books_title_id_idx"`);
    await queryRunner.query(`DROP INDEX "public"."books_author_id_idx"`);
    await queryRunner.query(`DROP INDEX "public"."books_published_year_id_idx"`);
    await queryRunner.query(`DROP INDEX "public"."books_created_at_id_idx"`);
    await queryRunner.query(`DROP INDEX "public"."books_isbn_key"`);
    await queryRunner.query(`DROP TABLE "books"`);
  }
}
