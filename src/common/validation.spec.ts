import { ArgumentMetadata } from '@nestjs/common';
import { IsString } from 'class-validator';
import { CreateBookDto } from '../books/dto/create-book.dto';
import { ProblemException } from './problem-details';
import { createValidationPipe, findForbiddenKey } from './validation';

class Dto {
  @IsString()
  name!: string;
}

describe('findForbiddenKey', () => {
  it.each([
    ['{"__proto__":{"x":1}}', '__proto__'],
    ['{"constructor":"x"}', 'constructor'],
    ['{"prototype":1}', 'prototype'],
    ['{"a":{"b":[1,{"constructor":{}}]}}', 'a.b[1].constructor'],
    ['[{"ok":1},{"__proto__":null}]', '[1].__proto__'],
  ])('finds the key in %s at %s', (json, path) => {
    expect(findForbiddenKey(JSON.parse(json))).toBe(path);
  });

  it.each(['{"name":"x","nested":{"list":[1,2]}}', '"constructor"', 'null', '[]'])('finds nothing in %s', (json) => {
    expect(findForbiddenKey(JSON.parse(json))).toBeUndefined();
  });

  it('does not walk the holes of a sparse array', () => {
    const sparse: unknown[] = [];
    sparse[4_000_000_000] = { constructor: 1 };
    expect(findForbiddenKey({ list: sparse })).toBe('list[4000000000].constructor');
  });
});

describe('createValidationPipe', () => {
  const pipe = createValidationPipe();
  const body: ArgumentMetadata = { type: 'body', metatype: Dto };
  const query: ArgumentMetadata = { type: 'query', metatype: Dto };

  async function problemOf(value: unknown, metadata: ArgumentMetadata): Promise<ProblemException> {
    const error: unknown = await pipe.transform(value, metadata).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ProblemException);
    return error as ProblemException;
  }

  it('refuses a constructor key that Nest would strip, naming it', async () => {
    const problem = await problemOf(JSON.parse('{"name":"a","constructor":"x"}'), body);
    expect(problem.status).toBe(400);
    expect(problem.errors).toEqual([{ field: 'constructor', message: expect.stringContaining('constructor') }]);
  });

  it('refuses a __proto__ query parameter', async () => {
    // Fastify's query parser builds objects whose __proto__ is a plain own property.
    const params = Object.assign(Object.create(null) as Record<string, string>, { name: 'a' });
    Object.defineProperty(params, '__proto__', { value: 'x', enumerable: true });
    const problem = await problemOf(params, query);
    expect(problem.errors?.[0].field).toBe('__proto__');
  });

  it('refuses unknown fields and reports them as field errors', async () => {
    const problem = await problemOf({ name: 'a', extra: 1 }, body);
    expect(problem.slug).toBe('validation-error');
    expect(problem.errors).toEqual([{ field: 'extra', message: 'property extra should not exist' }]);
  });

  it('passes and transforms a valid value', async () => {
    await expect(pipe.transform({ name: 'a' }, body)).resolves.toBeInstanceOf(Dto);
  });

  it('gives each field one entry, its first failed rule (a missing year is not "later than" anything)', async () => {
    const book = { title: 'T', author: 'A', isbn: '9780201616224' };
    const problem = await problemOf(book, { type: 'body', metatype: CreateBookDto });
    expect(problem.errors).toEqual([{ field: 'publishedYear', message: 'publishedYear must be an integer number' }]);
    const many = await problemOf({ ...book, title: 7, publishedYear: 'x' }, { type: 'body', metatype: CreateBookDto });
    expect(many.errors?.map((e) => e.field)).toEqual(['title', 'publishedYear']);
  });
});
