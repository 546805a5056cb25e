import { ValidationError, ValidationPipe } from '@nestjs/common';
import { FieldError, ProblemException } from './problem-details';

/** Flattens class-validator's tree into `{ field: 'books[3].title', message }` entries. */
export function flattenValidationErrors(errors: ValidationError[], prefix = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const error of errors) {
    const field = /^\d+$/.test(error.property)
      ? `${prefix}[${error.property}]`
      : prefix
        ? `${prefix}.${error.property}`
        : error.property;
    for (const message of Object.values(error.constraints ?? {})) out.push({ field, message });
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
  return new ProblemException(400, 'validation-error', detail, errors);
}

/** whitelist + forbidNonWhitelisted: an unknown field or query parameter is a 400, never ignored. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => validationProblem(flattenValidationErrors(errors)),
  });
}
