import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, TransformFnParams } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { normalizeIsbn } from '../isbn';
import { IsIsbn, IsText } from './create-book.dto';

export const BOOK_SORT_FIELDS = ['title', 'author', 'publishedYear', 'createdAt'] as const;
export type BookSortField = (typeof BOOK_SORT_FIELDS)[number];
export const MAX_PAGE_SIZE = 100;

/** Only plain decimal integers become numbers: '', ' ', '0x10' or '1e3' stay strings and fail IsInt. */
const toInteger = ({ value }: TransformFnParams): unknown =>
  typeof value === 'string' && /^-?\d{1,15}$/.test(value) ? Number(value) : value;

export class ListBooksQueryDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 1_000_000, default: 1, example: 1 })
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  page: number = 1;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, default: 20, example: 20 })
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  limit: number = 20;

  // Optional filters carry no `example`: Swagger UI would pre-fill it into "Try it out".
  @ApiPropertyOptional({
    description: 'Case-insensitive substring of the title or the author, e.g. `pragmatic`',
    minLength: 1,
    maxLength: 200,
  })
  @IsOptional()
  @IsString()
  @IsText(1, 200)
  q?: string;

  @ApiPropertyOptional({ description: 'Exact author, e.g. `Andrew Hunt`', minLength: 1, maxLength: 200 })
  @IsOptional()
  @IsString()
  @IsText(1, 200)
  author?: string;

  @ApiPropertyOptional({
    description: 'ISBN-10 or ISBN-13, with or without hyphens, e.g. `020161622X` or `978-0-201-61622-4`',
    format: 'isbn',
    minLength: 10,
  })
  @IsOptional()
  @IsString()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? (normalizeIsbn(value) ?? value) : value))
  @IsIsbn()
  isbn?: string;

  @ApiPropertyOptional({
    description: 'Earliest publishedYear, inclusive, e.g. `1990`',
    type: 'integer',
    minimum: -2000,
    maximum: 9999,
  })
  @IsOptional()
  @Transform(toInteger)
  @IsInt()
  @Min(-2000)
  @Max(9999)
  publishedFrom?: number;

  @ApiPropertyOptional({
    description: 'Latest publishedYear, inclusive, e.g. `2005`',
    type: 'integer',
    minimum: -2000,
    maximum: 9999,
  })
  @IsOptional()
  @Transform(toInteger)
  @IsInt()
  @Min(-2000)
  @Max(9999)
  publishedTo?: number;

  @ApiPropertyOptional({ enum: BOOK_SORT_FIELDS, default: 'createdAt', description: 'Ties are broken by id' })
  @IsIn(BOOK_SORT_FIELDS)
  sort: BookSortField = 'createdAt';

  @ApiPropertyOptional({ enum: ['asc', 'desc'], default: 'asc', description: 'Applies to the sort field and to id' })
  @IsIn(['asc', 'desc'])
  order: 'asc' | 'desc' = 'asc';

  @ApiPropertyOptional({
    description:
      'Keyset pagination, which stays fast on any page of a large table: `*` for the first page, then ' +
      '`meta.nextCursor` of the previous page (with the same filters, sort and order). Not combined with `page`.',
    pattern: '^(\\*|[A-Za-z0-9_-]{1,1024})$',
  })
  @IsOptional()
  @IsString()
  @Matches(/^(\*|[A-Za-z0-9_-]{1,1024})$/, { message: 'cursor must be * or the meta.nextCursor of an earlier page' })
  cursor?: string;
}
