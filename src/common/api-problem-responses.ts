import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { ProblemDetailsDto, PROBLEM_CONTENT_TYPE } from './problem-details';

const DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid request: malformed JSON, an unknown or invalid field or query parameter',
  404: 'No such book',
  409: 'The ISBN is already taken',
  412: 'If-Match does not match the current version',
  413: 'The body is larger than the limit',
  415: 'The body is not application/json',
  428: 'If-Match is required',
  429: 'Too many requests',
  500: 'Unexpected error; details are in the server log under the requestId',
  503: 'The database is unavailable or the service is shutting down; retry after Retry-After seconds',
};

/** What ProblemDetailsFilter answers for each status: the `type` slug and the `title`. */
const EXAMPLES: Record<number, [slug: string, title: string]> = {
  400: ['validation-error', 'Bad Request'],
  404: ['not-found', 'Not Found'],
  409: ['conflict', 'Conflict'],
  412: ['precondition-failed', 'Precondition Failed'],
  413: ['payload-too-large', 'Content Too Large'],
  415: ['unsupported-media-type', 'Unsupported Media Type'],
  428: ['precondition-required', 'Precondition Required'],
  429: ['too-many-requests', 'Too Many Requests'],
  500: ['internal-error', 'Internal Server Error'],
  503: ['service-unavailable', 'Service Unavailable'],
};

/** Documents each status as an application/problem+json response. */
export function ApiProblemResponses(...statuses: number[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiExtraModels(ProblemDetailsDto),
    ...statuses.map((status) =>
      ApiResponse({
        status,
        description: DESCRIPTIONS[status] ?? 'Error',
        content: {
          [PROBLEM_CONTENT_TYPE]: {
            schema: { $ref: getSchemaPath(ProblemDetailsDto) },
            example: {
              type: `/problems/${EXAMPLES[status]?.[0] ?? `http-${status}`}`,
              title: EXAMPLES[status]?.[1] ?? 'Error',
              status,
              detail: DESCRIPTIONS[status] ?? 'Error',
              instance: '/books',
              requestId: '6f1c1e0e-0d55-4d8e-9d0a-6d1f8b0c8d7e',
              ...(status === 400 ? { errors: [{ field: 'title', message: 'title must be a string' }] } : {}),
            },
          },
        },
        ...(status === 503
          ? { headers: { 'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer', example: 2 } } } }
          : {}),
      }),
    ),
  );
}
