import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsObject, ValidateNested } from 'class-validator';
import { CreateBookDto } from './create-book.dto';

export const MAX_BATCH_SIZE = 1000;

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
