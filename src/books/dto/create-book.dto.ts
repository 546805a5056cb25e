import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, TransformFnParams } from 'class-transformer';
import {
  IsInt,
  IsOptional,
  IsString,
  Max,
  Min,
  ValidateBy,
  ValidationArguments,
  ValidationOptions,
} from 'class-validator';
import { normalizeIsbn } from '../isbn';

export const MIN_PUBLISHED_YEAR = -2000;

const trim = ({ value }: TransformFnParams): unknown => (typeof value === 'string' ? value.trim() : value);

/** Valid ISBN-10 or ISBN-13 (checksum included); the transform has already normalised it. */
export function IsIsbn(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isIsbn',
      validator: {
        validate: (value: unknown) => typeof value === 'string' && normalizeIsbn(value) === value,
        defaultMessage: () => 'isbn must be a valid ISBN-10 or ISBN-13 (hyphens and spaces allowed, checksum checked)',
      },
    },
    options,
  );
}

/** `[...value].length` without building the array: a surrogate pair is one code point, a lone surrogate one. */
export function codePointLength(value: string): number {
  let pairs = 0;
  for (let i = 0; i < value.length - 1; i++) {
    const unit = value.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = value.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        pairs++;
        i++;
      }
    }
  }
  return value.length - pairs;
}

/**
 * Length in characters as PostgreSQL counts them (code points, unlike class-validator's
 * Length, which skips variation selectors), and no NUL, which PostgreSQL text cannot hold.
 */
export function IsText(min: number, max: number, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isText',
      constraints: [min, max],
      validator: {
        validate: (value: unknown) => {
          if (typeof value !== 'string' || value.includes('\0')) return false;
          const length = codePointLength(value);
          return length >= min && length <= max;
        },
        defaultMessage: ({ property, value }: ValidationArguments) =>
          typeof value === 'string' && value.includes('\0')
            ? `${property} must not contain the NUL character`
            : `${property} must be ${min} to ${max} characters long${min > 0 ? ' (not blank)' : ''}`,
      },
    },
    options,
  );
}

/** Not later than the current year, read at validation time rather than at startup. */
function IsNotAfterCurrentYear(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isNotAfterCurrentYear',
      validator: {
        validate: (value: unknown) => typeof value === 'number' && value <= new Date().getUTCFullYear(),
        defaultMessage: () => `publishedYear must not be later than ${new Date().getUTCFullYear()}`,
      },
    },
    options,
  );
}

export class CreateBookDto {
  @ApiProperty({
    minLength: 1,
    maxLength: 300,
    description: 'Trimmed; empty after trimming is invalid',
    example: 'The Pragmatic Programmer',
  })
  @Transform(trim)
  @IsString()
  @IsText(1, 300)
  title!: string;

  @ApiProperty({
    minLength: 1,
    maxLength: 200,
    description: 'Trimmed; empty after trimming is invalid',
    example: 'Andrew Hunt',
  })
  @Transform(trim)
  @IsString()
  @IsText(1, 200)
  author!: string;

  @ApiProperty({
    description:
      'ISBN-10 or ISBN-13, with or without hyphens or spaces, checksum checked; stored and returned as ISBN-13',
    format: 'isbn',
    minLength: 10,
    example: '978-0-201-61622-4',
  })
  @Transform(({ value }: TransformFnParams): unknown =>
    typeof value === 'string' ? (normalizeIsbn(value) ?? value.trim()) : value,
  )
  @IsIsbn()
  isbn!: string;

  @ApiProperty({
    type: 'integer',
    minimum: MIN_PUBLISHED_YEAR,
    maximum: new Date().getUTCFullYear(),
    description: 'Up to the current year (the maximum shown is the year the service started); negative for BCE',
    example: 1999,
  })
  @IsInt()
  @Min(MIN_PUBLISHED_YEAR)
  @IsNotAfterCurrentYear()
  publishedYear!: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100000, nullable: true, example: 352 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100000)
  pageCount?: number | null;

  @ApiPropertyOptional({
    type: 'string',
    minLength: 1,
    maxLength: 10000,
    nullable: true,
    example: 'From journeyman to master.',
  })
  @IsOptional()
  @Transform(trim)
  @IsString()
  @IsText(1, 10000)
  summary?: string | null;
}
