import type { FastifyInstance } from 'fastify';
import { problemBody } from '../common/problem-mapping';
import { PROBLEM_CONTENT_TYPE } from '../common/problem-details';
import { PROBLEM_TYPES } from '../common/problem-types';
import { type DevelopmentApiKey, isLoopback } from './api-keys/development-key';
import { SECURITY_SCHEMES } from './openapi-security';

/**
 * Swagger UI options that come authorized with the development key, when the server listens on
 * loopback only. The key is read when Swagger UI's init script is first built, after startup made
 * it. That script then carries the key, so it is served only to a loopback Host: a web page that
 * rebinds its own name to 127.0.0.1 would otherwise read it.
 */
export function authorizeWithDevelopmentKey<T extends object>(
  options: T,
  developmentKey: DevelopmentApiKey,
  host: string,
  fastify: FastifyInstance,
  docsPath: string,
): T {
  if (!developmentKey.enabled || !isLoopback(host)) return options;
  Object.defineProperty(options, 'authAction', {
    enumerable: true,
    get: () =>
      developmentKey.key && {
        [SECURITY_SCHEMES.apiKey]: {
          name: SECURITY_SCHEMES.apiKey,
          schema: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
          value: developmentKey.key,
        },
      },
  });
  fastify.addHook('onRequest', (request, reply, done) => {
    const path = request.url.split('?')[0];
    const initScript = path.startsWith(`${docsPath}/`) && path.endsWith('/swagger-ui-init.js');
    // The Host header as sent: request.hostname may come from X-Forwarded-Host, which any page can set.
    if (!initScript || isLoopback(hostWithoutPort(request.headers.host ?? ''))) {
      done();
      return;
    }
    const problem = {
      type: PROBLEM_TYPES.forbidden,
      detail: 'Swagger UI carries the development API key here, so it answers only to localhost, 127.0.0.1 or [::1]',
    };
    void reply
      .status(problem.type.status)
      .type(PROBLEM_CONTENT_TYPE)
      .send(problemBody(problem, request.url, String(request.id)));
  });
  return options;
}

/** `localhost:3000` -> `localhost`, `[::1]:3000` -> `[::1]`. */
export function hostWithoutPort(host: string): string {
  return host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0];
}
