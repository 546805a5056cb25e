import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import { normalizeIsbn } from '../isbn';
import { IsIsbn } from './create-book.dto';

export const BOOK_SORT_FIELDS = ['title', 'author', 'publishedYear', 'createdAt'] as const;
export type BookSortField = (typeof BOOK_SORT_FIELDS)[number];
export const MAX_PAGE_SIZE = 100;

export class ListBooksQueryDto {
  @ApiPropertyOptional({ minimum: 1, default: 1 })
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  page: number = 1;

  @ApiPropertyOptional({ minimum: 1, maximum: MAX_PAGE_SIZE, default: 20 })
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  limit: number = 20;

  @ApiPropertyOptional({ description: 'Case-insensitive substring of the title or the author', maxLength: 200 })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  q?: string;

  @ApiPropertyOptional({ description: 'Exact author', maxLength: 200 })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  author?: string;

  @ApiPropertyOptional({ description: 'ISBN-10 or ISBN-13' })
  @IsOptional()
  @IsString()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? (normalizeIsbn(value) ?? value) : value))
  @IsIsbn()
  isbn?: string;

  @ApiPropertyOptional({ description: 'Earliest publishedYear, inclusive' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(-2000)
  @Max(9999)
  publishedFrom?: number;

  @ApiPropertyOptional({ description: 'Latest publishedYear, inclusive' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(-2000)
  @Max(9999)
  publishedTo?: number;

  @ApiPropertyOptional({ enum: BOOK_SORT_FIELDS, default: 'createdAt' })
  @IsIn(BOOK_SORT_FIELDS)
  sort: BookSortField = 'createdAt';

  @ApiPropertyOptional({ enum: ['asc', 'desc'], default: 'asc' })
  @IsIn(['asc', 'desc'])
  order: 'asc' | 'desc' = 'asc';
}
