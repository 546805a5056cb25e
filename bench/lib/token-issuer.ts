import * as http from 'node:http';
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { freePort } from '../../src/lib/free-port';

/** What the service needs from an issuer to price bearer tokens: discovery, a JWKS, and one signed token. */
export interface BenchIssuer {
  /** Service environment that trusts this issuer (access control on). */
  serviceEnv: Record<string, string>;
  /** An RFC 9068 access token granting every scope, valid for a day. */
  token: string;
  stop(): Promise<void>;
}

const AUDIENCE = 'https://bookapi.bench';

/**
 * A minimal OpenID issuer on a free loopback port: the service discovers it and fetches its JWKS
 * as it would any provider's, then verifies the token with the same code as in production.
 */
export async function startBenchIssuer(): Promise<BenchIssuer> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const kid = randomUUID();
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' }] };
  const discovery = { issuer, jwks_uri: `${issuer}/jwks`, token_endpoint: `${issuer}/token` };
  const server = http.createServer((req, res) => {
    const body = req.url === '/.well-known/openid-configuration' ? discovery : req.url === '/jwks' ? jwks : undefined;
    res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' }).end(JSON.stringify(body ?? {}));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const token = await new SignJWT({ scope: 'books:read books:write books:delete', client_id: 'bench' })
    .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid })
    .setIssuer(issuer)
    .setAudience(AUDIENCE)
    .setSubject('bench')
    .setIssuedAt()
    .setExpirationTime('1d')
    .sign(privateKey);
  return {
    serviceEnv: { AUTH_DISABLED: 'false', AUTH_ISSUER: issuer, AUTH_AUDIENCE: AUDIENCE },
    token,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
