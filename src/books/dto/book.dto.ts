import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** A book as the API returns it. */
export class BookDto {
  @ApiProperty({ format: 'uuid', example: '3f1c2a7e-8a4b-4c1d-9f7e-2b6d5c4a3e21' })
  id!: string;

  @ApiProperty({ minLength: 1, maxLength: 300, example: 'The Pragmatic Programmer' })
  title!: string;

  @ApiProperty({ minLength: 1, maxLength: 200, example: 'Andrew Hunt' })
  author!: string;

  @ApiProperty({ description: 'Normalised ISBN-13', pattern: '^97[89][0-9]{10}$', example: '9780201616224' })
  isbn!: string;

  @ApiProperty({ type: 'integer', minimum: -2000, description: 'Negative for BCE', example: 1999 })
  publishedYear!: number;

  @ApiProperty({ type: 'integer', minimum: 1, maximum: 100000, nullable: true, example: 352 })
  pageCount!: number | null;

  @ApiProperty({
    type: 'string',
    minLength: 1,
    maxLength: 10000,
    nullable: true,
    example: 'From journeyman to master.',
  })
  summary!: string | null;

  @ApiProperty({ format: 'date-time', example: '2026-11-25T12:00:00.000Z' })
  createdAt!: Date;

  @ApiProperty({ format: 'date-time', example: '2026-11-25T12:00:00.000Z' })
  updatedAt!: Date;

  @ApiProperty({ type: 'integer', minimum: 1, example: 1, description: 'Bumped by every change; the ETag carries it' })
  version!: number;

  @ApiProperty({
    type: 'string',
    nullable: true,
    example: 'ci-deploy',
    description:
      "Who created the book: the bearer token's subject or the API key's name. Set by the server, never by " +
      'the client; null when access control is off',
  })
  createdBy!: string | null;

  @ApiProperty({
    type: 'string',
    nullable: true,
    example: 'ci-deploy',
    description: 'Who changed the book last (its creator until then); set by the server like createdBy',
  })
  updatedBy!: string | null;
}

export class PageMetaDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, example: 1, description: 'Offset pages only (`page`)' })
  page?: number;

  @ApiProperty({ type: 'integer', minimum: 1, maximum: 100, example: 20 })
  limit!: number;

  @ApiProperty({ type: 'integer', minimum: 0, example: 42, description: 'Books matching the filters, on every page' })
  total!: number;

  @ApiPropertyOptional({
    type: 'boolean',
    enum: [true],
    example: true,
    description:
      "Present when `total` is the planner's estimate rather than a count: without filters past 10,000 " +
      'books; with filters expected to match more than 1,000; for a `search` past 2,000 matches',
  })
  totalEstimated?: true;

  @ApiPropertyOptional({
    type: 'string',
    nullable: true,
    example: 'eyJzIjoiY3JlYXRlZEF0In0',
    description:
      'Keyset pages (`cursor`): send it as `cursor` for the next page; null on the last page. A page ' +
      'whose filters match many books examines at most 2,000 books in sort order: when that runs out ' +
      'first, the page holds fewer than `limit` books (maybe none) and `nextCursor` goes on from the ' +
      'last book examined; this is also the one case where an offset page (`page`) carries it',
  })
  nextCursor?: string | null;
}

export class BooksPageDto {
  @ApiProperty({ type: [BookDto], description: 'At most `limit` books of page `page`' })
  data!: BookDto[];

  @ApiProperty({ type: PageMetaDto })
  meta!: PageMetaDto;
}

export class BooksBatchResultDto {
  @ApiProperty({ type: [BookDto], description: 'The created books, in input order' })
  data!: BookDto[];
}
