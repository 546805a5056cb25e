import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsObject, ValidateNested } from 'class-validator';
import { CreateBookDto } from './create-book.dto';

export const MAX_BATCH_SIZE = 1000;

/** Units of the write budget a batch costs: one per book (at most MAX_BATCH_SIZE: more is a 400 anyway). */
export function booksInBatch(body: unknown): number {
  const books = (body as { books?: unknown } | null)?.books;
  return Array.isArray(books) ? Math.min(books.length, MAX_BATCH_SIZE) : 1;
}

export class CreateBooksBatchDto {
  @ApiProperty({
    type: [CreateBookDto],
    minItems: 1,
    maxItems: MAX_BATCH_SIZE,
    description: 'Created in this order; all of them or none',
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_BATCH_SIZE)
  // ValidateNested alone lets an item that is itself an array through, to a NOT NULL violation (500).
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => CreateBookDto)
  books!: CreateBookDto[];
}
