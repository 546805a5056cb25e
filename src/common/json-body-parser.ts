import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { AppConfig } from '../config/app.config';
import { MAX_JSON_DEPTH, nestsDeeperThan } from './json-depth';

/**
 * Fastify's own JSON parser (`__proto__` / `constructor` refused), behind a nesting check:
 * a body nested deeper than MAX_JSON_DEPTH is a 400 before anything walks it recursively.
 * Registered in place of Nest's, which would otherwise add the same parser without the check.
 */
export function useDepthCheckedJsonParser(
  app: NestFastifyApplication,
  config: Pick<AppConfig, 'bodyLimitBytes'>,
): void {
  const parse = app.getHttpAdapter().getInstance().getDefaultJsonParser('error', 'error');
  app.useBodyParser('application/json', { bodyLimit: config.bodyLimitBytes }, (request, body, done) => {
    const text = body.toString();
    if (nestsDeeperThan(text, MAX_JSON_DEPTH)) {
      done(Object.assign(new Error(`Body nests deeper than ${MAX_JSON_DEPTH} levels`), { statusCode: 400 }), undefined);
      return;
    }
    void parse(request as Parameters<typeof parse>[0], text, done);
  });
}
