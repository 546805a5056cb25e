import type { OpenAPIObject } from '@nestjs/swagger';
import { problemResponse } from '../common/api-problem-responses';
import type { AuthConfig } from '../config/auth.config';
import { AUTH_REALM } from './auth-errors';
import type { RouteWithPolicy } from './route-policies';
import { scopeNeeded, SCOPES } from './route-policy';

/** The names of the security schemes in the OpenAPI document. */
export const SECURITY_SCHEMES = { bearer: 'bearer', apiKey: 'apiKey', oauth2: 'oauth2' } as const;

type Operation = {
  description?: string;
  security?: Record<string, string[]>[];
  responses: Record<string, unknown>;
};

const CHALLENGE = (example: string) => ({
  'WWW-Authenticate': { description: 'The RFC 6750 challenge', schema: { type: 'string', example } },
});

/**
 * Declares the schemes (bearer JWT, X-API-Key, and with an issuer OAuth2 client credentials) and,
 * from each route's own policy, the operation's `security` and its 401/403 answers, so the
 * document says what the guard enforces.
 */
export function documentSecurity(
  document: OpenAPIObject,
  routes: RouteWithPolicy[],
  config: Pick<AuthConfig, 'issuer' | 'publicReads'>,
  tokenUrl: string | undefined,
): void {
  const components = (document.components ??= {});
  components.securitySchemes = {
    [SECURITY_SCHEMES.bearer]: {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description: `An access token from ${config.issuer ?? 'the configured OpenID issuer (AUTH_ISSUER)'}, for AUTH_AUDIENCE`,
    },
    [SECURITY_SCHEMES.apiKey]: {
      type: 'apiKey',
      in: 'header',
      name: 'X-API-Key',
      description: 'An API key made with `npm run apikey -- create`',
    },
    ...(config.issuer && {
      [SECURITY_SCHEMES.oauth2]: {
        type: 'oauth2',
        description: "Client credentials at the issuer's token endpoint (from its discovery document)",
        flows: {
          clientCredentials: {
            tokenUrl: tokenUrl ?? config.issuer,
            scopes: {
              [SCOPES.read]: 'Read books (only when AUTH_PUBLIC_READS=false)',
              [SCOPES.write]: 'Create and change books',
              [SCOPES.delete]: 'Delete books',
            },
          },
        },
      },
    }),
  };
  for (const { route, policy } of routes) {
    const [method, path] = route.split(' ');
    const operation = document.paths[`/${path.replace(/:(\w+)/g, '{$1}')}`]?.[method.toLowerCase() as 'get'] as
      Operation | undefined;
    if (!operation || !policy) continue;
    const scope = scopeNeeded(policy, config.publicReads);
    const optional = scope === undefined && policy.kind !== 'public';
    operation.security =
      policy.kind === 'public'
        ? []
        : [
            ...(optional ? [{}] : []),
            { [SECURITY_SCHEMES.bearer]: [] },
            { [SECURITY_SCHEMES.apiKey]: [] },
            ...(config.issuer ? [{ [SECURITY_SCHEMES.oauth2]: [scope ?? SCOPES.read] }] : []),
          ];
    if (scope)
      operation.description = `${operation.description ?? ''} Needs a credential granting \`${scope}\`.`.trim();
    operation.responses['401'] = problemResponse(
      401,
      scope
        ? 'No credential, or an invalid, expired or forged one'
        : 'A credential was sent and is invalid, expired or forged (none is needed)',
      CHALLENGE(`Bearer realm="${AUTH_REALM}", error="invalid_token"`),
    );
    if (scope) {
      operation.responses['403'] = problemResponse(
        403,
        `The credential does not grant ${scope}`,
        CHALLENGE(`Bearer realm="${AUTH_REALM}", error="insufficient_scope", scope="${scope}"`),
      );
    }
  }
}

/** Points the client-credentials flow at the issuer's token endpoint once discovery has found it. */
export function setTokenUrl(document: OpenAPIObject, tokenUrl: string | undefined): void {
  const scheme = document.components?.securitySchemes?.[SECURITY_SCHEMES.oauth2] as
    { flows?: { clientCredentials?: { tokenUrl: string } } } | undefined;
  if (tokenUrl && scheme?.flows?.clientCredentials) scheme.flows.clientCredentials.tokenUrl = tokenUrl;
}
