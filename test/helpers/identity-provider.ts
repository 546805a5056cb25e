import * as http from 'node:http';
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, type JWK, SignJWT } from 'jose';
import { freePort } from '../../src/lib/free-port';

/** The audience the service under test expects (AUTH_AUDIENCE); tokens for it come from resource=AUDIENCE. */
export const AUDIENCE = 'https://bookapi.test';
const ALL_SCOPES = 'books:read books:write books:delete';
const CLIENT = { id: 'bookapi-tests', secret: `secret-${randomUUID()}` };

/** The part of oidc-provider's class these tests use (the package ships no types). */
type ProviderClass = new (
  issuer: string,
  configuration: Record<string, unknown>,
) => { callback(): http.RequestListener; on(event: string, listener: (...args: unknown[]) => void): void };

/**
 * A real OpenID provider (oidc-provider) on a free port of 127.0.0.1, issuing RFC 9068 JWT access
 * tokens through the client-credentials grant with resource indicators. It can be stopped and
 * started again on the same port, and its signing key rotated.
 */
export class IdentityProvider {
  private server?: http.Server;
  /** The private signing key (with kid), for the tests that forge tokens with the provider's own key. */
  signingKey!: JWK;

  private constructor(readonly port: number) {}

  get issuer(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Env for a service that trusts this provider. */
  get serviceEnv(): Record<string, string> {
    return { AUTH_DISABLED: 'false', AUTH_ISSUER: this.issuer, AUTH_AUDIENCE: AUDIENCE };
  }

  static async create(options: { start?: boolean } = {}): Promise<IdentityProvider> {
    const idp = new IdentityProvider(await freePort());
    await idp.newKey();
    if (options.start ?? true) await idp.start();
    return idp;
  }

  async start(): Promise<void> {
    const { default: Provider } = (await import('oidc-provider')) as unknown as { default: ProviderClass };
    const provider = new Provider(this.issuer, {
      clients: [
        {
          client_id: CLIENT.id,
          client_secret: CLIENT.secret,
          grant_types: ['client_credentials'],
          redirect_uris: [],
          response_types: [],
        },
      ],
      jwks: { keys: [this.signingKey] },
      ttl: { ClientCredentials: 300 },
      features: {
        devInteractions: { enabled: false },
        clientCredentials: { enabled: true },
        resourceIndicators: {
          enabled: true,
          defaultResource: () => AUDIENCE,
          useGrantedResource: () => true,
          getResourceServerInfo: (_ctx: unknown, resource: string) => ({
            scope: ALL_SCOPES,
            audience: resource,
            accessTokenFormat: 'jwt',
            accessTokenTTL: 300,
            jwt: { sign: { alg: 'RS256' } },
          }),
        },
      },
    });
    // Its own logging of failed grants would only add noise to the test output.
    provider.on('server_error', () => undefined);
    const server = http.createServer(provider.callback());
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** A new signing key (new kid) served from now on; the old one is no longer published. */
  async rotate(): Promise<void> {
    await this.stop();
    await this.newKey();
    await this.start();
  }

  /** An access token from the token endpoint: client credentials, for `resource` (the service by default). */
  async token(scope: string, resource = AUDIENCE): Promise<string> {
    const response = await fetch(`${this.issuer}/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${CLIENT.id}:${CLIENT.secret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope, resource }).toString(),
    });
    const body = (await response.json()) as { access_token?: string; error?: string; error_description?: string };
    if (!response.ok || !body.access_token) {
      throw new Error(`token request failed: ${response.status} ${body.error} ${body.error_description}`);
    }
    return body.access_token;
  }

  /**
   * A token signed with the provider's own current key, with the claims a test chooses (defaults:
   * this issuer, the service's audience, books:write, five minutes). For the forged and the
   * edge-case tokens the token endpoint would never issue.
   */
  async sign(claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({
      iss: this.issuer,
      aud: AUDIENCE,
      sub: 'test-client',
      scope: 'books:write',
      iat: now,
      exp: now + 300,
      ...claims,
    })
      .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: this.signingKey.kid, ...header })
      .sign(await importJWK(this.signingKey, 'RS256'));
  }

  /** The client's credentials, for Swagger UI's client-credentials flow. */
  get client(): { id: string; secret: string } {
    return CLIENT;
  }

  private async newKey(): Promise<void> {
    const { privateKey } = await generateKeyPair('RS256', { extractable: true });
    this.signingKey = { ...(await exportJWK(privateKey)), kid: randomUUID(), alg: 'RS256', use: 'sig' };
  }
}

/** A provider for a describe block, started before the app fixture that trusts it. */
export function useIdentityProvider(options: { start?: boolean } = {}): { readonly idp: IdentityProvider } {
  let idp: IdentityProvider | undefined;
  beforeAll(async () => {
    idp = await IdentityProvider.create(options);
  });
  afterAll(async () => {
    await idp?.stop();
  });
  return {
    get idp() {
      if (!idp) throw new Error('the identity provider is not started: use it inside a test or a later hook');
      return idp;
    },
  };
}
