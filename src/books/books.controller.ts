import {
  Body,
  Controller,
  Delete,
  Get,
  Headers,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Patch,
  Post,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import {
  ApiBody,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiHeader,
  ApiNoContentResponse,
  ApiNotModifiedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ReadAccess, RequiresScope, SCOPES } from '../auth/route-policy';
import { ApiProblemResponses } from '../common/api-problem-responses';
import { ApiIdempotencyKey, REPLAYED_RESPONSE_HEADER } from '../idempotency/api-idempotency-key';
import { IdempotencyService } from '../idempotency/idempotency.service';
import { RateLimitUnits } from '../common/throttler-options';
import { validationProblem } from '../common/validation';
import { callerName } from './book-caller';
import { preconditionRequired } from './books.errors';
import { BooksService } from './books.service';
import { assertPatchable, listCursorOf } from './dto/book-request-rules';
import { BookDto, BooksBatchResultDto, BooksPageDto } from './dto/book.dto';
import {
  AcceptsConsistencyToken,
  CONSISTENCY_TOKEN_HEADER,
  READ_SOURCE_HEADER,
} from '../consistency/consistency-token';
import { CreateBookDto } from './dto/create-book.dto';
import { booksInBatch, CreateBooksBatchDto } from './dto/create-books-batch.dto';
import { ListBooksQueryDto } from './dto/list-books-query.dto';
import { UpdateBookDto } from './dto/update-book.dto';
import type { Book } from './entities/book.entity';
import { etagOf, noneMatch, parseEntityTags } from '../common/http/etag';

const idPipe = new ParseUUIDPipe({
  exceptionFactory: () => validationProblem([{ field: 'id', message: 'id must be a UUID' }]),
});

const ApiBookId = () =>
  ApiParam({
    name: 'id',
    description: 'The book id (a non-UUID is a 400)',
    schema: { type: 'string', format: 'uuid', example: '3f1c2a7e-8a4b-4c1d-9f7e-2b6d5c4a3e21' },
  });

const ETAG_HEADER = {
  ETag: { description: 'Strong validator of this version of the book', schema: { type: 'string', example: '"1"' } },
};

@ApiTags('books')
@ApiProblemResponses(429, 500, 503)
@Controller('books')
export class BooksController {
  constructor(
    private readonly books: BooksService,
    private readonly idempotency: IdempotencyService,
  ) {}

  @Post()
  @RequiresScope(SCOPES.write)
  @ApiOperation({
    operationId: 'createBook',
    summary: 'Create a book',
    description:
      'Strings are trimmed; the ISBN is checked and stored as ISBN-13. Answers the book with its URL in Location ' +
      'and its ETag; an ISBN that is already taken is a 409.',
  })
  @ApiIdempotencyKey()
  @ApiCreatedResponse({
    type: BookDto,
    description: 'Created',
    headers: {
      ...ETAG_HEADER,
      ...CONSISTENCY_TOKEN_HEADER,
      ...REPLAYED_RESPONSE_HEADER,
      Location: {
        description: 'URL of the new book',
        schema: { type: 'string', format: 'uri-reference', example: '/books/3f1c2a7e-8a4b-4c1d-9f7e-2b6d5c4a3e21' },
      },
    },
  })
  @ApiProblemResponses(400, 409, 413, 415)
  create(
    @Body() dto: CreateBookDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Book> {
    return this.idempotency.run(request, reply, async () => {
      const book = await this.books.create(dto, callerName(request));
      return { body: book, location: `/books/${book.id}`, etag: etagOf(book) };
    });
  }

  @Post('batch')
  @RequiresScope(SCOPES.write)
  @ApiOperation({
    operationId: 'createBooksBatch',
    summary: 'Create up to 1000 books at once: all of them or none',
    description:
      'One transaction: either every book is created (answered in input order) or none is. The error names the ' +
      'first bad item, e.g. `books[3].isbn`; an ISBN repeated in the batch or already taken is a 409.',
  })
  @ApiBody({ type: CreateBooksBatchDto })
  @ApiIdempotencyKey()
  @RateLimitUnits(booksInBatch)
  @ApiCreatedResponse({
    type: BooksBatchResultDto,
    description: 'All created, in input order',
    headers: { ...CONSISTENCY_TOKEN_HEADER, ...REPLAYED_RESPONSE_HEADER },
  })
  @ApiProblemResponses(400, 409, 413, 415)
  createBatch(
    @Body() dto: CreateBooksBatchDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<{ data: Book[] }> {
    return this.idempotency.run(request, reply, async () => ({
      body: { data: await this.books.createMany(dto.books, callerName(request)) },
    }));
  }

  @Get()
  @ReadAccess()
  @ApiOperation({
    operationId: 'listBooks',
    summary: 'List books: filters, sorting and pagination',
    description:
      'Filters combine with AND. The order is stable (ties broken by id). An unknown query parameter or a bad ' +
      'value is a 400, never ignored.',
  })
  @AcceptsConsistencyToken()
  @ApiOkResponse({ type: BooksPageDto, headers: READ_SOURCE_HEADER })
  @ApiProblemResponses(400)
  list(@Query() query: ListBooksQueryDto) {
    return this.books.list(query, listCursorOf(query));
  }

  @Get(':id')
  @ReadAccess()
  @ApiBookId()
  @ApiOperation({
    operationId: 'getBook',
    summary: 'Get a book',
    description: 'Answers the book with a strong ETag; send it back in If-None-Match to get a 304 while unchanged.',
  })
  @ApiHeader({
    name: 'If-None-Match',
    required: false,
    // No example: Swagger UI would pre-fill it and "Try it out" would answer an empty 304.
    description: 'ETag from an earlier GET, e.g. `"1"`; 304 when unchanged',
    schema: { type: 'string' },
  })
  @AcceptsConsistencyToken()
  @ApiOkResponse({ type: BookDto, headers: { ...ETAG_HEADER, ...READ_SOURCE_HEADER } })
  @ApiNotModifiedResponse({ description: 'Unchanged since the ETag in If-None-Match', headers: READ_SOURCE_HEADER })
  @ApiProblemResponses(400, 404)
  async findOne(
    @Param('id', idPipe) id: string,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Book | undefined> {
    const book = await this.books.findOne(id);
    void reply.header('ETag', etagOf(book));
    if (!noneMatch(ifNoneMatch, book)) {
      void reply.status(304);
      return undefined;
    }
    return book;
  }

  @Patch(':id')
  @RequiresScope(SCOPES.write)
  @ApiBookId()
  @ApiOperation({
    operationId: 'updateBook',
    summary: 'Change some fields of a book (optimistic concurrency through If-Match)',
    description:
      'Only the fields sent change; the body must set at least one. If-Match must carry the current ETag ' +
      '(428 without it, 412 when stale); the answer carries the new ETag.',
  })
  @ApiHeader({
    name: 'If-Match',
    required: true,
    description: 'The ETag of the version being changed, or * for any version',
    schema: { type: 'string', example: '"1"' },
  })
  @ApiExtraModels(UpdateBookDto)
  @ApiBody({
    description: 'The fields to change; at least one',
    schema: { allOf: [{ $ref: getSchemaPath(UpdateBookDto) }], minProperties: 1 },
  })
  @ApiIdempotencyKey()
  @ApiOkResponse({
    type: BookDto,
    headers: { ...ETAG_HEADER, ...CONSISTENCY_TOKEN_HEADER, ...REPLAYED_RESPONSE_HEADER },
  })
  @ApiProblemResponses(400, 404, 409, 412, 413, 415, 428)
  update(
    @Param('id', idPipe) id: string,
    @Body() dto: UpdateBookDto,
    @Headers('if-match') ifMatchHeader: string | undefined,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Book> {
    // Inside the key's transaction: a retry replays the first answer before If-Match is looked at.
    return this.idempotency.run(request, reply, async () => {
      const ifMatch = parseEntityTags(ifMatchHeader);
      if (ifMatch === undefined) {
        throw preconditionRequired();
      }
      assertPatchable(dto);
      const book = await this.books.update(id, dto, ifMatch, callerName(request));
      return { body: book, etag: etagOf(book) };
    });
  }

  @Delete(':id')
  @RequiresScope(SCOPES.delete)
  @ApiBookId()
  @HttpCode(204)
  @ApiOperation({
    operationId: 'deleteBook',
    summary: 'Delete a book',
    description: 'With If-Match, deletes only that version (412 when the book has changed since).',
  })
  @ApiHeader({
    name: 'If-Match',
    required: false,
    description: 'When given, e.g. `"1"`, delete only that version',
    schema: { type: 'string' },
  })
  @ApiIdempotencyKey()
  @ApiNoContentResponse({
    description: 'Deleted',
    headers: { ...CONSISTENCY_TOKEN_HEADER, ...REPLAYED_RESPONSE_HEADER },
  })
  @ApiProblemResponses(400, 404, 412)
  remove(
    @Param('id', idPipe) id: string,
    @Headers('if-match') ifMatch: string | undefined,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    return this.idempotency.run(request, reply, async () => {
      await this.books.remove(id, parseEntityTags(ifMatch));
      return { body: undefined };
    });
  }
}
