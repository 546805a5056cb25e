import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { ProblemDetailsDto, PROBLEM_CONTENT_TYPE } from './problem-details';
import { PROBLEM_TYPES, problemTypeOf, type ProblemType } from './problem-types';

const DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid request: malformed JSON, an unknown or invalid field or query parameter',
  404: 'Nothing has that id',
  409:
    'A unique field is already taken, e.g. an ISBN, or a request with the same Idempotency-Key is still in ' +
    'progress (then retry after Retry-After seconds)',
  412: 'If-Match does not match the current version',
  413: 'The body is larger than the limit',
  415: 'The body is not application/json',
  422: 'The Idempotency-Key was already used for a different request (method, path or body)',
  428: 'If-Match is required',
  429: 'Too many requests',
  500: 'Unexpected error; details are in the server log under the requestId',
  503: 'The database or the token issuer is unavailable, or the service is shutting down; retry after Retry-After seconds',
};

/** The type documented for each status: the one the filter answers (400s document validation). */
function documentedType(status: number): ProblemType {
  return status === 400 ? PROBLEM_TYPES.validationError : problemTypeOf(status);
}

/** One status as an application/problem+json response object (also used to add responses after the fact). */
export function problemResponse(
  status: number,
  description = DESCRIPTIONS[status] ?? 'Error',
  headers: Record<string, { description: string; schema: object }> = {},
) {
  const type = documentedType(status);
  return {
    description,
    content: {
      [PROBLEM_CONTENT_TYPE]: {
        schema: { $ref: getSchemaPath(ProblemDetailsDto) },
        example: {
          type: `/problems/${type.slug}`,
          title: type.title,
          status,
          detail: description,
          instance: '/books',
          requestId: '6f1c1e0e-0d55-4d8e-9d0a-6d1f8b0c8d7e',
          ...(status === 400 ? { errors: [{ field: 'title', message: 'title must be a string' }] } : {}),
        },
      },
    },
    ...(status === 503 || status === 409 || Object.keys(headers).length > 0
      ? {
          headers: {
            ...(status === 503 || status === 409
              ? { 'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer', example: 2 } } }
              : {}),
            ...headers,
          },
        }
      : {}),
  };
}

/** Documents each status as an application/problem+json response. */
export function ApiProblemResponses(...statuses: number[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiExtraModels(ProblemDetailsDto),
    ...statuses.map((status) => ApiResponse({ status, ...problemResponse(status) })),
  );
}
