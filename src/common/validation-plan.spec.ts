import { plainToInstance } from 'class-transformer';
import {
  IsInt,
  IsOptional,
  IsString,
  Min,
  registerDecorator,
  ValidateIf,
  ValidateNested,
  validateSync,
  type ValidatorOptions,
} from 'class-validator';
import fc from 'fast-check';
import { codePointLength, CreateBookDto } from '../books/dto/create-book.dto';
import { CreateBooksBatchDto } from '../books/dto/create-books-batch.dto';
import { ListBooksQueryDto } from '../books/dto/list-books-query.dto';
import { UpdateBookDto } from '../books/dto/update-book.dto';
import { compileValidationPlan, ValidationPlans } from './validation-plan';

/** The options the app's pipe gives class-validator (createValidationPipe). */
const PIPE_OPTIONS: ValidatorOptions = {
  whitelist: true,
  forbidNonWhitelisted: true,
  forbidUnknownValues: true,
  validationError: { target: false, value: false },
};

const text = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom('', ' ', '  padded  ', 'a\0b', 'x'.repeat(201), 'y'.repeat(301), '\u{1F600}'.repeat(200)),
);
const isbn = fc.constantFrom('978-0-201-61622-4', '0201616222', '9780201616224', '978-0-201-61622-5', '12', '');
const anyValue = fc.oneof(
  text,
  isbn,
  fc.integer({ min: -3000, max: 200000 }),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.array(fc.integer(), { maxLength: 2 }),
  fc.constantFrom('20', '1', '0', '-5', '1e3', 'asc', 'desc', 'title', 'createdAt', '*'),
);

/** A few of a class's properties, mostly well-formed, sometimes any value, sometimes with an unknown key. */
function bodies(good: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<object> {
  const field = (name: string) => fc.oneof({ weight: 12, arbitrary: good[name] }, { weight: 1, arbitrary: anyValue });
  const extraKey = fc.oneof(
    { weight: 8, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.constantFrom('unknown', 'id', 'version') },
  );
  const present = fc.subarray(Object.keys(good), { maxLength: 6 });
  return fc
    .tuple(
      present.chain((names) => fc.record(Object.fromEntries(names.map((name) => [name, field(name)])))),
      extraKey,
    )
    .map(([body, extra]) => (extra ? { ...body, [extra]: 1 } : body));
}

/** Well-formed values, with the edges either side of each rule mixed in. */
const bookFields: Record<string, fc.Arbitrary<unknown>> = {
  title: fc.oneof(
    fc.string({ minLength: 1, maxLength: 30 }).map((value) => `t${value}`),
    text,
  ),
  author: fc.string({ minLength: 1, maxLength: 30 }).map((value) => `a${value}`),
  isbn: fc.oneof({ weight: 4, arbitrary: fc.constant('978-0-201-61622-4') }, isbn),
  publishedYear: fc.integer({ min: -2001, max: new Date().getUTCFullYear() + 1 }),
  pageCount: fc.option(fc.integer({ min: 0, max: 100001 })),
  summary: fc.option(fc.string({ maxLength: 30 })),
};
const listFields: Record<string, fc.Arbitrary<unknown>> = {
  page: fc.constantFrom('1', '2', '3', '0', '600'),
  limit: fc.constantFrom('20', '100', '5', '101'),
  q: fc.constantFrom('cathedral', 'winter', 'ab'),
  search: fc.constantFrom('winter', 'harbor', '-'),
  author: fc.constantFrom('Andrew Hunt', 'x', ''),
  isbn: fc.constantFrom('9780201616224', '0201616222', '12'),
  publishedFrom: fc.constantFrom('1999', '-2000', '-2001'),
  publishedTo: fc.constantFrom('2000', '9999', '10000'),
  sort: fc.constantFrom('title', 'author', 'publishedYear', 'createdAt', 'id'),
  order: fc.constantFrom('asc', 'desc', 'up'),
  cursor: fc.constantFrom('*', 'abc_-', 'a b'),
};

describe('ValidationPlans', () => {
  it.each([
    ['CreateBookDto', CreateBookDto, bookFields],
    ['UpdateBookDto', UpdateBookDto, bookFields],
    ['ListBooksQueryDto', ListBooksQueryDto, listFields],
  ] as const)('agrees with class-validator on %s, both ways', (_name, target, good) => {
    const plans = new ValidationPlans();
    let valid = 0;
    let invalid = 0;
    fc.assert(
      fc.property(bodies(good), (body) => {
        const entity = plainToInstance(target as new () => object, body);
        const errors = validateSync(entity, PIPE_OPTIONS);
        if (errors.length === 0) valid++;
        else invalid++;
        expect(plans.passes(entity, PIPE_OPTIONS)).toBe(errors.length === 0);
      }),
      { numRuns: 600 },
    );
    // Both answers were exercised, so a plan that always says yes or always no would have failed.
    expect(valid).toBeGreaterThan(20);
    expect(invalid).toBeGreaterThan(20);
  });

  it('leaves a nested rule (the batch) to class-validator', () => {
    expect(compileValidationPlan(CreateBooksBatchDto)).toBeUndefined();
    const batch = plainToInstance(CreateBooksBatchDto, { books: [] });
    expect(new ValidationPlans().passes(batch, PIPE_OPTIONS)).toBe(false);
  });

  it('leaves a class with no rules, and a plain object, to class-validator (forbidUnknownValues)', () => {
    class NoRules {
      name?: string;
    }
    const plans = new ValidationPlans();
    expect(compileValidationPlan(NoRules)).toBeUndefined();
    expect(plans.passes(Object.assign(new NoRules(), { name: 'x' }), PIPE_OPTIONS)).toBe(false);
    expect(plans.passes(Object.create(null) as object, PIPE_OPTIONS)).toBe(false);
  });

  it('leaves an async rule to class-validator, so a failing one does not run twice', () => {
    let calls = 0;
    class WithAsync {
      @IsString()
      name!: string;
    }
    registerDecorator({
      name: 'isFree',
      target: WithAsync,
      propertyName: 'name',
      async: true,
      validator: {
        validate: () => {
          calls++;
          return Promise.resolve(false);
        },
      },
    });
    expect(compileValidationPlan(WithAsync)).toBeUndefined();
    expect(new ValidationPlans().passes(Object.assign(new WithAsync(), { name: 'x' }))).toBe(false);
    expect(calls).toBe(0);
  });

  it('answers no when a rule returns anything but true, without throwing', () => {
    class Loose {
      @IsOptional()
      @IsInt()
      @Min(1)
      count?: number;
    }
    registerDecorator({
      name: 'truthy',
      target: Loose,
      propertyName: 'count',
      validator: { validate: () => 1 as unknown as boolean },
    });
    const plans = new ValidationPlans();
    // class-validator takes 1 as a pass; the plan only takes true, and class-validator then decides.
    expect(validateSync(Object.assign(new Loose(), { count: 2 }))).toEqual([]);
    expect(plans.passes(Object.assign(new Loose(), { count: 2 }))).toBe(false);
  });

  it('honours IsOptional, ValidateIf and a rule-level validateIf as class-validator does', () => {
    class Conditional {
      @IsOptional()
      @IsInt()
      count?: number | null;

      @ValidateIf((object: Conditional) => object.count === 1)
      @IsString()
      label?: unknown;

      @IsInt({ validateIf: (object: Conditional) => object.count === 2 })
      other?: unknown;
    }
    const plans = new ValidationPlans();
    const cases: Partial<Conditional>[] = [
      {},
      { count: null, other: 1 },
      { count: 1, label: 'x' },
      { count: 1, label: 5 },
      { count: 2, other: 'x' },
      { count: 2, other: 3 },
      { count: 3, label: 5, other: 'x' },
      { count: 'x' as unknown as number },
    ];
    for (const value of cases) {
      const entity = Object.assign(new Conditional(), value);
      expect([value, plans.passes(entity, PIPE_OPTIONS)]).toEqual([
        value,
        validateSync(entity, PIPE_OPTIONS).length === 0,
      ]);
    }
  });

  it('defers to class-validator under options that change which rules run', () => {
    const plans = new ValidationPlans();
    const book = plainToInstance(CreateBookDto, {
      title: 'T',
      author: 'A',
      isbn: '9780201616224',
      publishedYear: 1999,
    });
    expect(plans.passes(book, PIPE_OPTIONS)).toBe(true);
    for (const options of [
      { groups: ['a'] },
      { always: true },
      { skipMissingProperties: true },
    ] as ValidatorOptions[]) {
      expect(plans.passes(book, { ...PIPE_OPTIONS, ...options })).toBe(false);
    }
  });

  it('checks unknown keys only under whitelist', () => {
    class One {
      @IsInt()
      n!: number;
    }
    const plans = new ValidationPlans();
    const value = Object.assign(new One(), { n: 1, extra: true });
    expect(plans.passes(value, PIPE_OPTIONS)).toBe(false);
    expect(plans.passes(value, {})).toBe(validateSync(value).length === 0);
  });

  it('leaves each-rules to class-validator', () => {
    class Each {
      @IsInt({ each: true })
      list!: number[];
    }
    class Nested {
      @ValidateNested()
      inner!: Each;
    }
    expect(compileValidationPlan(Each)).toBeUndefined();
    expect(compileValidationPlan(Nested)).toBeUndefined();
  });
});

describe('codePointLength', () => {
  it('counts as the spread of the string does, lone surrogates included', () => {
    const units = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 20 }),
      fc
        .array(fc.constantFrom('\uD83D', '\uDE00', 'a', '\u00E9', '\uDBFF\uDFFF'), { maxLength: 12 })
        .map((parts) => parts.join('')),
    );
    fc.assert(
      fc.property(units, (value) => {
        expect(codePointLength(value)).toBe([...value].length);
      }),
      { numRuns: 2000 },
    );
  });
});
