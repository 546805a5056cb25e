import { applyDecorators } from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import type { OpenAPIObject } from '@nestjs/swagger';
import { ApiProblemResponses } from '../common/api-problem-responses';
import type { IdempotencyConfig } from '../config/idempotency.config';
import { IDEMPOTENCY_KEY_HEADER, MAX_KEY_LENGTH } from './idempotency-key';
import { REPLAYED_HEADER } from './idempotency.service';

const KEY_DESCRIPTION =
  'Makes a retry of this write safe: the first request with a key is carried out and its answer ' +
  '(status, body, Location, ETag) recorded in the same transaction; a retry with the same key and the same ' +
  'request gets that answer again, with `Idempotent-Replayed: true`, whatever its If-Match says. 1 to ' +
  `${MAX_KEY_LENGTH} visible ASCII characters, bare or as a structured-field string (\`"…"\`), e.g. a UUID. ` +
  'Keys are per caller, method and route. The same key with a different method, path or body is a 422; ' +
  'a retry while the first request still runs waits for it, or gets a 409 with Retry-After. A request that ' +
  'fails (4xx, 5xx) records nothing, so its retry runs again.';

/** parseIdempotencyKey's grammar: a bare token, or a structured-field string of visible characters. */
export const KEY_PATTERN = String.raw`^(?:[!#-+\--\[\]-~]{1,255}|"(?:[!#-\[\]-~]|\\["\\]){1,255}")$`;

/** The Idempotency-Key header and the answers it adds (the expiry is filled in by publishIdempotencyPolicy). */
export function ApiIdempotencyKey(): MethodDecorator {
  return applyDecorators(
    ApiHeader({
      name: IDEMPOTENCY_KEY_HEADER,
      required: false,
      description: KEY_DESCRIPTION,
      schema: { type: 'string', minLength: 1, maxLength: MAX_KEY_LENGTH + 2, pattern: KEY_PATTERN },
    }),
    ApiProblemResponses(409, 422),
  );
}

/** The replay marker, for a success response's headers. */
export const REPLAYED_RESPONSE_HEADER = {
  [REPLAYED_HEADER]: {
    description:
      'Present (`true`) when this is the recorded answer to an earlier request with the same Idempotency-Key',
    required: false,
    schema: { type: 'string', enum: ['true'] },
  },
};

/**
 * The expiry policy in the header's description, as the Idempotency-Key draft asks, and whether a
 * POST must carry the header: both are settings, known only once the configuration is read.
 */
export function publishIdempotencyPolicy(document: OpenAPIObject, config: IdempotencyConfig): void {
  const policy =
    ` Keys expire ${config.ttlHours} hours after their first use (IDEMPOTENCY_TTL_HOURS); after that the ` +
    'same key starts a new request.' +
    (config.keyRequired ? ' Required on POST (IDEMPOTENCY_KEY_REQUIRED): a POST without it is a 400.' : '');
  for (const [method, operation] of Object.values(document.paths).flatMap((item) => Object.entries(item))) {
    const parameters = (operation as { parameters?: unknown[] }).parameters ?? [];
    for (const parameter of parameters as { in?: string; name?: string; description?: string; required?: boolean }[]) {
      if (parameter.in !== 'header' || parameter.name !== IDEMPOTENCY_KEY_HEADER) continue;
      parameter.description = `${parameter.description ?? ''}${policy}`;
      if (config.keyRequired && method === 'post') parameter.required = true;
    }
  }
}
