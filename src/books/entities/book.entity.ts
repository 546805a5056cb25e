import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
  VersionColumn,
} from 'typeorm';

/** Every sortable column is indexed together with id, the tie-breaker of every listing. */
@Entity({ name: 'books' })
@Index('books_title_id_idx', ['title', 'id'])
@Index('books_author_id_idx', ['author', 'id'])
@Index('books_published_year_id_idx', ['publishedYear', 'id'])
@Index('books_created_at_id_idx', ['createdAt', 'id'])
// Trigram GIN indexes behind `q` (ILIKE '%...%'). TypeORM cannot describe them, so it leaves
// them alone (synchronize: false): migration TrigramSearchIndexes creates them (on title and on
// author); `sync` mode does not.
@Index('books_title_trgm_idx', { synchronize: false })
@Index('books_author_trgm_idx', { synchronize: false })
export class Book {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 300 })
  title!: string;

  @Column({ type: 'varchar', length: 200 })
  author!: string;

  /** Normalised ISBN-13, digits only. */
  @Index('books_isbn_key', { unique: true })
  @Column({ type: 'char', length: 13 })
  isbn!: string;

  @Column({ name: 'published_year', type: 'integer' })
  publishedYear!: number;

  @Column({ name: 'page_count', type: 'integer', nullable: true })
  pageCount!: number | null;

  @Column({ type: 'text', nullable: true })
  summary!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;

  @VersionColumn({ type: 'integer' })
  version!: number;

  /** Who created the book: the caller's token subject or API key name; null with access control off. */
  @Column({ name: 'created_by', type: 'text', nullable: true })
  createdBy!: string | null;

  /** Who changed the book last (at creation, its creator). */
  @Column({ name: 'updated_by', type: 'text', nullable: true })
  updatedBy!: string | null;

  /** Title (A) and author (B) for `search`; a trigger fills it (migration BookSearchVector). */
  @Index('books_search_vector_idx', { synchronize: false })
  @Column({ name: 'search_vector', type: 'tsvector', nullable: true, select: false, insert: false, update: false })
  searchVector?: string | null;
}
