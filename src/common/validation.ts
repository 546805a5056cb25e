import { ArgumentMetadata, ValidationError, ValidationPipe } from '@nestjs/common';
import type { ValidatorOptions } from 'class-validator';
import { FieldError, ProblemException } from './problem-details';
import { PROBLEM_TYPES } from './problem-types';
import { ValidationPlans } from './validation-plan';

/** Flattens class-validator's tree into `{ field: 'books[3].title', message }` entries, one per field. */
export function flattenValidationErrors(errors: ValidationError[], prefix = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const error of errors) {
    const field = /^\d+$/.test(error.property)
      ? `${prefix}[${error.property}]`
      : prefix
        ? `${prefix}.${error.property}`
        : error.property;
    // One entry per field: the rule written first. Decorators apply bottom-up, so class-validator
    // records that rule last; the ones after it usually fail only as a consequence of it.
    const first = Object.values(error.constraints ?? {}).at(-1);
    if (first !== undefined) out.push({ field, message: first });
    if (error.children?.length) out.push(...flattenValidationErrors(error.children, field));
  }
  return out;
}

export function validationProblem(errors: FieldError[]): ProblemException {
  const first = errors[0];
  const detail =
    errors.length === 1
      ? `Invalid field ${first.field}: ${first.message}`
      : `The request has ${errors.length} invalid fields; first: ${first.field}: ${first.message}`;
  return new ProblemException(PROBLEM_TYPES.validationError, detail, errors);
}

/** Keys that could reach an object's prototype; Nest's pipe would drop them silently. */
const FORBIDDEN_KEYS = ['__proto__', 'constructor', 'prototype'] as const;

/** The path of the first forbidden own key in a parsed body or query, if any. */
export function findForbiddenKey(value: unknown, path = ''): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  // Object.entries skips the holes of a sparse array, so a huge length costs nothing.
  const isArray = Array.isArray(value);
  if (!isArray) {
    const key = FORBIDDEN_KEYS.find((name) => Object.prototype.hasOwnProperty.call(value, name));
    if (key) return path ? `${path}.${key}` : key;
  }
  for (const [key, child] of Object.entries(value)) {
    const childPath = isArray ? `${path}[${key}]` : path ? `${path}.${key}` : key;
    const found = findForbiddenKey(child, childPath);
    if (found) return found;
  }
  return undefined;
}

/** Refuses `__proto__` / `constructor` / `prototype` keys with a 400 instead of stripping them. */
class StrictValidationPipe extends ValidationPipe {
  private readonly plans = new ValidationPlans();

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' || metadata.type === 'query') {
      const field = findForbiddenKey(value);
      if (field) throw validationProblem([{ field, message: `the key ${field.split('.').pop()} is not allowed` }]);
    } else if (metadata.metatype === String) {
      // A path parameter or header declared as a string: ValidationPipe would hand it back unchanged.
      return value;
    }
    return (await super.transform(value, metadata)) as unknown;
  }

  /** A value every rule passes skips class-validator's per-call regrouping (validation-plan.ts). */
  protected override validate(
    object: object,
    options?: ValidatorOptions,
  ): Promise<ValidationError[]> | ValidationError[] {
    return this.plans.passes(object, options) ? [] : super.validate(object, options);
  }
}

/** whitelist + forbidNonWhitelisted: an unknown field or query parameter is a 400, never ignored. */
export function createValidationPipe(): ValidationPipe {
  return new StrictValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => validationProblem(flattenValidationErrors(errors)),
  });
}
