import { PartialType } from '@nestjs/swagger';
import { CreateBookDto } from './create-book.dto';

/** Every field optional; `id`, `version` and timestamps are not fields, so they cannot be set. */
export class UpdateBookDto extends PartialType(CreateBookDto) {}

/** Fields that may be omitted from a PATCH but never set to null. */
export const REQUIRED_BOOK_FIELDS = ['title', 'author', 'isbn', 'publishedYear'] as const;
