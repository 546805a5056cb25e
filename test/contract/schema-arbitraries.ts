import fc from 'fast-check';
import { isbn10CheckDigit, isbn13CheckDigit } from '../../src/books/isbn';

/** The part of an OpenAPI 3.0 schema object (already dereferenced) the generators understand. */
export interface Schema {
  type?: 'string' | 'integer' | 'number' | 'boolean' | 'object' | 'array';
  format?: string;
  enum?: unknown[];
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  nullable?: boolean;
  default?: unknown;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  minItems?: number;
  maxItems?: number;
  minProperties?: number;
  pattern?: string;
  additionalProperties?: boolean | Schema;
  allOf?: Schema[];
}

/** Folds `allOf` into one schema (enough for `allOf: [{ $ref }]` plus sibling keywords). */
export function flatten(schema: Schema): Schema {
  if (!schema.allOf) return schema;
  const { allOf, ...rest } = schema;
  return allOf.map(flatten).reduce<Schema>(
    (merged, part) => ({
      ...part,
      ...merged,
      properties: { ...part.properties, ...merged.properties },
      required: [...(part.required ?? []), ...(merged.required ?? [])],
    }),
    rest,
  );
}

/**
 * A long string kept short in a counterexample: JSON.stringify sends it in full, while
 * fast-check prints `"x".repeat(2000000)`.
 */
export class Huge {
  constructor(
    readonly unit: string,
    readonly count: number,
  ) {}
  toJSON(): string {
    return this.unit.repeat(this.count);
  }
  toString(): string {
    return this.toJSON();
  }
  [fc.toStringMethod](): string {
    return `${JSON.stringify(this.unit)}.repeat(${this.count})`;
  }
}

/**
 * Single code points that break naive code: variation selectors (class-validator's Length does
 * not count them, PostgreSQL does), zero-width and bidi controls, combining marks, astral
 * characters, letters whose case mapping changes length, and LIKE/quote metacharacters.
 */
export const ODD_CODE_POINTS = [
  '\uFE0F',
  '\uFE0E',
  '\u200B',
  '\u200D',
  '\u202E',
  '\u0301',
  '\u00A0',
  '\u2028',
  '\uFEFF',
  '😀',
  '𝔘',
  'İ',
  'ß',
  'ﬀ',
  '%',
  '_',
  '\\',
  "'",
  '"',
  '<',
  '\t',
];

const asciiUnit = fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 });
const anyUnit = fc.string({ unit: 'binary', minLength: 1, maxLength: 1 });
/** One code point: mostly ASCII, sometimes anything in Unicode, sometimes a troublemaker. */
export const codePoint: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: asciiUnit },
  { weight: 2, arbitrary: anyUnit },
  { weight: 2, arbitrary: fc.constantFrom(...ODD_CODE_POINTS) },
);

const isTrimmed = (value: string) => value.trim() === value;
const codePoints = (value: string) => [...value].length;

/** Strings of `min`..`max` code points that the server keeps as they are: trimmed, no NUL. */
export function validString(min: number, max: number): fc.Arbitrary<string> {
  const text = (lo: number, hi: number) => fc.string({ unit: codePoint, minLength: lo, maxLength: hi });
  return fc
    .oneof(
      { weight: 8, arbitrary: text(min, Math.min(max, min + 30)) },
      { weight: 1, arbitrary: text(max, max) },
      { weight: 1, arbitrary: text(Math.max(min, 1), Math.max(min, 1)) },
    )
    .filter((value) => isTrimmed(value) && !value.includes('\0') && codePoints(value) >= min);
}

/** ISBN-13 as the server stores it. */
export function normalisedIsbn(isbn: string): string {
  const compact = isbn.replace(/[\s-]/g, '').toUpperCase();
  if (compact.length === 13) return compact;
  const body = '978' + compact.slice(0, 9);
  return body + isbn13CheckDigit(body);
}

const digits = (n: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: n, maxLength: n });

/** A valid ISBN-10 or ISBN-13, compact or written with hyphens or spaces, `x` in either case. */
export const validIsbn: fc.Arbitrary<string> = fc
  .tuple(
    fc.oneof(
      fc.tuple(fc.constantFrom('978', '979'), digits(9)).map(([prefix, rest]) => {
        const body = prefix + rest;
        return body + isbn13CheckDigit(body);
      }),
      digits(9).map((body) => body + isbn10CheckDigit(body)),
    ),
    fc.constantFrom('', '-', ' '),
    fc.boolean(),
  )
  .map(([isbn, separator, lower]) => {
    const written = separator
      ? isbn.replace(/^(\d{3})(\d)(\d{4})/, `$1${separator}$2${separator}$3${separator}`)
      : isbn;
    return lower ? written.toLowerCase() : written;
  });

/** Looks like an ISBN but is not one: a wrong check digit, a wrong length, a 977 prefix, letters. */
export const invalidIsbn: fc.Arbitrary<string> = fc.oneof(
  validIsbn.map((isbn) => {
    const last = isbn.slice(-1).toUpperCase();
    const wrong = last === 'X' ? '0' : String((Number(last) + 1) % 10);
    return isbn.slice(0, -1) + wrong;
  }),
  digits(12),
  digits(14),
  digits(9).map((body) => '977' + body + '0'),
  fc.constantFrom('ISBN 978-0-201-61622-4', '978020161622X', 'xxxxxxxxxx', '0-00-000000-0-0-0'),
);

/** Values a UUID parameter or field must refuse. */
export const invalidUuid: fc.Arbitrary<string> = fc.oneof(
  fc.uuid().map((id) => id.slice(0, -1)),
  fc.uuid().map((id) => id + '0'),
  fc.uuid().map((id) => id.replace(/-/g, '')),
  fc.uuid().map((id) => 'g' + id.slice(1)),
  fc.uuid().map((id) => ` ${id}`),
  fc.constantFrom('not-a-uuid', '1', '0', 'null', 'undefined', '...', '%00', "' OR 1=1 --", '{id}'),
  // `.` and `..` are dot segments: the client's URL parser would resolve them away.
  fc
    .string({ unit: codePoint, minLength: 1, maxLength: 40 })
    .filter((value) => value.trim() !== '' && !/^\.{1,2}$/.test(value)),
);

/** Values that conform to the schema and that the service should accept as well-formed. */
export function validValue(schema: Schema): fc.Arbitrary<unknown> {
  schema = flatten(schema);
  const value = validNonNull(schema);
  return schema.nullable ? fc.option(value, { nil: null, freq: 5 }) : value;
}

function validNonNull(schema: Schema): fc.Arbitrary<unknown> {
  if (schema.enum) return fc.constantFrom(...schema.enum);
  switch (schema.type) {
    case 'string':
      if (schema.format === 'uuid') return fc.uuid();
      if (schema.format === 'isbn') return validIsbn;
      if (schema.pattern) {
        const [min, max] = [schema.minLength ?? 0, schema.maxLength ?? Infinity];
        return fc
          .stringMatching(new RegExp(schema.pattern))
          .filter((value) => codePoints(value) >= min && codePoints(value) <= max);
      }
      return validString(schema.minLength ?? 0, schema.maxLength ?? 40);
    case 'integer':
    case 'number': {
      const min = schema.minimum ?? -1_000_000;
      const max = schema.maximum ?? 1_000_000;
      return fc.oneof(
        { weight: 6, arbitrary: fc.integer({ min, max }) },
        { weight: 1, arbitrary: fc.constantFrom(min, max) },
      );
    }
    case 'boolean':
      return fc.boolean();
    case 'array': {
      const min = schema.minItems ?? 0;
      const max = schema.maxItems ?? 10;
      const items = validValue(schema.items ?? {});
      return fc.oneof(
        { weight: 12, arbitrary: fc.array(items, { minLength: min, maxLength: Math.min(max, min + 4) }) },
        { weight: 1, arbitrary: filled(items, max) },
      );
    }
    case 'object':
    default: {
      const properties = schema.properties ?? {};
      const model = Object.fromEntries(Object.entries(properties).map(([key, s]) => [key, validValue(s)]));
      const minProperties = schema.minProperties ?? 0;
      return fc
        .record(model, { requiredKeys: schema.required ?? [] })
        .filter((object) => Object.keys(object).length >= minProperties);
    }
  }
}

/** `count` copies of one generated item: boundary-sized arrays without generating each element. */
function filled(item: fc.Arbitrary<unknown>, count: number): fc.Arbitrary<unknown[]> {
  return item.map((value) => Array.from({ length: count }, () => value));
}

/** A value of another JSON type than the schema wants (null only when it is not nullable). */
function wrongType(schema: Schema): fc.Arbitrary<unknown> {
  const candidates: fc.Arbitrary<unknown>[] = [];
  if (schema.type !== 'string') candidates.push(fc.constantFrom('12', '', 'true', 'abc'));
  if (schema.type !== 'integer' && schema.type !== 'number') candidates.push(fc.constantFrom(0, 7, -1, 1e21));
  if (schema.type === 'integer') candidates.push(fc.constantFrom(1.5, -0.25, 1e-9 + 1));
  if (schema.type !== 'boolean') candidates.push(fc.boolean());
  if (schema.type !== 'array') candidates.push(fc.constant([]), fc.constant(['x']));
  if (schema.type !== 'object') candidates.push(fc.constant({}), fc.constant({ value: 1 }));
  if (!schema.nullable) candidates.push(fc.constant(null));
  return fc.oneof(...candidates);
}

/** Over-long strings: plain, and written with characters class-validator's Length undercounts. */
function tooLong(max: number): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.constant('a'.repeat(max + 1)),
    fc.constant('a\uFE0F'.repeat(Math.ceil((max + 1) / 2))),
    fc.constant('😀'.repeat(max + 1)),
    fc.constantFrom('x', 'é', '\u0301').map((unit) => new Huge(unit, 2_000_000)),
  );
}

/** Values the service must refuse for a field with this schema (a 400, or a 413 when huge). */
export function invalidValue(schema: Schema): fc.Arbitrary<unknown> {
  schema = flatten(schema);
  const options: fc.Arbitrary<unknown>[] = [wrongType(schema)];
  if (schema.enum) {
    options.push(
      fc
        .oneof(fc.constantFrom('', 'ASC', 'Title', 'random', 'title;drop'), validString(1, 10))
        .filter((value) => !schema.enum!.includes(value)),
    );
  } else if (schema.type === 'string') {
    if (schema.format === 'uuid') options.push(invalidUuid);
    if (schema.format === 'isbn') options.push(invalidIsbn);
    if (schema.pattern) {
      const pattern = new RegExp(schema.pattern);
      options.push(fc.oneof(fc.constant(''), validString(1, 12)).filter((value) => !pattern.test(value)));
    }
    if ((schema.minLength ?? 0) >= 1) options.push(fc.constantFrom('', ' ', '   ', '\t\n', '\u00A0\u2028'));
    if (schema.maxLength !== undefined) options.push(tooLong(schema.maxLength));
    // PostgreSQL text cannot hold NUL; the service must say so with a 400.
    options.push(validString(1, 20).map((value) => `${value}\0`));
  } else if (schema.type === 'integer' || schema.type === 'number') {
    if (schema.minimum !== undefined) options.push(fc.constantFrom(schema.minimum - 1, schema.minimum - 1_000_000));
    if (schema.maximum !== undefined) options.push(fc.constantFrom(schema.maximum + 1, 2 ** 53 + 2, 1e300));
  } else if (schema.type === 'array') {
    const items = schema.items ?? {};
    if ((schema.minItems ?? 0) > 0) options.push(fc.array(validValue(items), { maxLength: schema.minItems! - 1 }));
    if (schema.maxItems !== undefined) options.push(filled(validValue(items), schema.maxItems + 1));
    options.push(
      fc.tuple(fc.array(validValue(items), { maxLength: 3 }), invalidValue(items), fc.nat()).map(([list, bad, at]) => {
        const copy = [...list];
        copy.splice(at % (copy.length + 1), 0, bad);
        return copy;
      }),
    );
  } else if (schema.type === 'object' || schema.properties) {
    options.push(...invalidObjects(schema));
  }
  return fc.oneof(...options);
}

/** Keys a client must never get through: server-owned fields, prototype keys, strangers. */
const EXTRA_KEYS = ['id', 'version', 'createdAt', 'updatedAt', '__proto__', 'constructor', 'prototype', 'foo', ''];

/** Sets a key as an own property, even `__proto__`, so JSON.stringify sends it. */
function withKey(object: Record<string, unknown>, key: string, value: unknown): Record<string, unknown> {
  const copy = { ...object };
  Object.defineProperty(copy, key, { value, enumerable: true, configurable: true, writable: true });
  return copy;
}

function invalidObjects(schema: Schema): fc.Arbitrary<unknown>[] {
  const properties = schema.properties ?? {};
  const valid = validValue({ ...schema, nullable: false }) as fc.Arbitrary<Record<string, unknown>>;
  const out: fc.Arbitrary<unknown>[] = [];
  if (schema.minProperties) out.push(fc.constant({}));
  for (const key of schema.required ?? []) {
    out.push(
      valid.map((object) => {
        const copy = { ...object };
        delete copy[key];
        return copy;
      }),
    );
  }
  for (const [key, propertySchema] of Object.entries(properties)) {
    out.push(fc.tuple(valid, invalidValue(propertySchema)).map(([object, bad]) => withKey(object, key, bad)));
  }
  out.push(
    fc
      .tuple(valid, fc.oneof(fc.constantFrom(...EXTRA_KEYS), fc.string({ minLength: 1, maxLength: 8 })), fc.jsonValue())
      .filter(([, key]) => !Object.hasOwn(properties, key))
      .map(([object, key, value]) => withKey(object, key, value)),
  );
  return out;
}
