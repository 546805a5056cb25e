import { ApiProperty } from '@nestjs/swagger';

/** A book as the API returns it. */
export class BookDto {
  @ApiProperty({ format: 'uuid', example: '3f1c2a7e-8a4b-4c1d-9f7e-2b6d5c4a3e21' })
  id!: string;

  @ApiProperty({ example: 'The Pragmatic Programmer' })
  title!: string;

  @ApiProperty({ example: 'Andrew Hunt' })
  author!: string;

  @ApiProperty({ description: 'Normalised ISBN-13', pattern: '^97[89][0-9]{10}$', example: '9780201616224' })
  isbn!: string;

  @ApiProperty({ example: 1999 })
  publishedYear!: number;

  @ApiProperty({ type: 'integer', nullable: true, example: 352 })
  pageCount!: number | null;

  @ApiProperty({ type: 'string', nullable: true, example: 'From journeyman to master.' })
  summary!: string | null;

  @ApiProperty({ format: 'date-time', example: '2026-11-25T12:00:00.000Z' })
  createdAt!: Date;

  @ApiProperty({ format: 'date-time', example: '2026-11-25T12:00:00.000Z' })
  updatedAt!: Date;

  @ApiProperty({ minimum: 1, example: 1, description: 'Bumped by every change; the ETag carries it' })
  version!: number;
}

export class PageMetaDto {
  @ApiProperty({ example: 1 })
  page!: number;

  @ApiProperty({ example: 20 })
  limit!: number;

  @ApiProperty({ example: 42, description: 'Books matching the filters' })
  total!: number;
}

export class BooksPageDto {
  @ApiProperty({ type: [BookDto] })
  data!: BookDto[];

  @ApiProperty({ type: PageMetaDto })
  meta!: PageMetaDto;
}

export class BooksBatchResultDto {
  @ApiProperty({ type: [BookDto], description: 'The created books, in input order' })
  data!: BookDto[];
}
