import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, TransformFnParams } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { normalizeIsbn } from '../isbn';
import { IsIsbn, IsText } from './create-book.dto';
import { IsWithinOffsetCap, MAX_OFFSET_ROWS } from './offset-cap';

export const BOOK_SORT_FIELDS = ['title', 'author', 'publishedYear', 'createdAt'] as const;
export type BookSortField = (typeof BOOK_SORT_FIELDS)[number];
export const MAX_PAGE_SIZE = 100;
/**
 * The matches a `search` ranks at most (SEARCH_CAP of the list query, plus one): two and a half
 * pages of the largest size. Reading and ranking them is most of a common word's cost (a heap page
 * per match when they are spread out), so the cap is what keeps such a search bounded at a
 * million rows (docs/decisions/0013-search-vector.md).
 */
export const SEARCH_RANKED = 251;
/**
 * Trigrams index runs of 3 letters or digits; a shorter `q` would read the whole table. Letters
 * are spelled as ranges (Latin, Greek to Ethiopic and more, kana, CJK, Hangul) so that the
 * OpenAPI `pattern` means the same in any regex engine, with or without Unicode mode.
 */
const LETTERS = '0-9A-Za-z\\u00C0-\\u024F\\u0370-\\u1FFF\\u3040-\\u9FFF\\uAC00-\\uD7AF';
const Q_PATTERN = new RegExp(`[${LETTERS}]{3}`);
/** A search with no word in it would match nothing, silently. */
const SEARCH_PATTERN = new RegExp(`[${LETTERS}]`);
const Q_MESSAGE = 'q must contain at least 3 letters or digits in a row; for short words use search';
/**
 * Every trigram of `q` is a condition the index must check, so a long `q` costs in proportion to its
 * length. A title or author phrase rarely needs more; `search` takes whole words up to 200.
 */
export const MAX_Q_LENGTH = 100;

/** Only plain decimal integers become numbers: '', ' ', '0x10' or '1e3' stay strings and fail IsInt. */
const toInteger = ({ value }: TransformFnParams): unknown =>
  typeof value === 'string' && /^-?\d{1,15}$/.test(value) ? Number(value) : value;

export class ListBooksQueryDto {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: MAX_OFFSET_ROWS,
    default: 1,
    example: 1,
    description: `page × limit may not exceed ${MAX_OFFSET_ROWS}; use \`cursor\` to read further`,
  })
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @IsWithinOffsetCap()
  page: number = 1;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, default: 20, example: 20 })
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  limit: number = 20;

  // Optional filters carry no `example`: Swagger UI would pre-fill it into "Try it out".
  @ApiPropertyOptional({
    description:
      'Case-insensitive substring of the title or the author, e.g. `pragmatic`. It must hold at least ' +
      '3 letters or digits in a row (the trigram index cannot serve shorter terms): for whole words, ' +
      'short ones included, use `search`. When very many books match, or the term has several words one of ' +
      'which matches very many, a page may come back short with `meta.nextCursor`: follow it for the ' +
      'rest (see `meta`).',
    minLength: 3,
    maxLength: MAX_Q_LENGTH,
    pattern: Q_PATTERN.source,
  })
  @IsOptional()
  @IsString()
  @IsText(1, MAX_Q_LENGTH)
  @Matches(Q_PATTERN, { message: Q_MESSAGE })
  q?: string;

  @ApiPropertyOptional({
    description:
      'Full-text search of the title and the author, by words: `winter cathedral` (both words), ' +
      '`"winter cathedral"` (the phrase), `winter or summer`, `winter -cathedral` (PostgreSQL ' +
      '`websearch_to_tsquery`). Words match whole and case-insensitively, in any language, without ' +
      'stemming (text-search configuration `simple`: names and titles in many languages would be ' +
      'mangled by a language stemmer and its stop words). Results are ordered by relevance (title ' +
      'words weigh more than author words), ties by id, both descending; `sort` and `order` do not ' +
      `apply. At most ${SEARCH_RANKED} matches are ranked and served: when more books match, ` +
      '`meta.totalEstimated` is true and they are the first matches found in a sample of the table ' +
      '(stretches of it spread evenly from the oldest books to the newest; the pages of a `cursor` ' +
      'keep the sample of the first page and leave out books created since), or, when the sample ' +
      'holds too few, the first the index yields. Two or three plain words found together in many ' +
      'books are the first such books in id order (ids are random: a sample wherever they sit). ' +
      'Combines with the other filters and with `cursor`.',
    minLength: 1,
    maxLength: 200,
    pattern: SEARCH_PATTERN.source,
  })
  @IsOptional()
  @IsString()
  @IsText(1, 200)
  @Matches(SEARCH_PATTERN, { message: 'search must contain at least one letter or digit' })
  search?: string;

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
