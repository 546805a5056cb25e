import { Controller, Get, Module } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { AuthModule } from '../src/auth/auth.module';
import { routePolicies } from '../src/auth/route-policies';
import { bookInput } from './factories/book.factory';
import { useBooksApp } from './helpers/books-app';
import { withEnv } from './helpers/env';
import { useIdentityProvider } from './helpers/identity-provider';

const ID = '00000000-0000-4000-8000-000000000000';

/** Every route, the policy it must declare, and a request that exercises it. */
const ROUTES = [
  { route: 'POST books', policy: 'books:write', send: { method: 'post', path: '/books', body: bookInput } },
  {
    route: 'POST books/batch',
    policy: 'books:write',
    send: { method: 'post', path: '/books/batch', body: () => ({ books: [bookInput()] }) },
  },
  { route: 'GET books', policy: 'read', send: { method: 'get', path: '/books?limit=1' } },
  { route: 'GET books/:id', policy: 'read', send: { method: 'get', path: `/books/${ID}` } },
  {
    route: 'PATCH books/:id',
    policy: 'books:write',
    send: { method: 'patch', path: `/books/${ID}`, body: () => ({ title: 'x' }), ifMatch: '*' },
  },
  { route: 'DELETE books/:id', policy: 'books:delete', send: { method: 'delete', path: `/books/${ID}` } },
  { route: 'GET health/live', policy: 'public', send: { method: 'get', path: '/health/live' } },
  { route: 'GET health/ready', policy: 'public', send: { method: 'get', path: '/health/ready' } },
] as const;

type Send = (typeof ROUTES)[number]['send'];

describe('Route policies', () => {
  const provider = useIdentityProvider();
  const open = useBooksApp('auth_policies', () => provider.idp.serviceEnv);
  const closed = useBooksApp('auth_policies_closed', () => ({
    ...provider.idp.serviceEnv,
    AUTH_PUBLIC_READS: 'false',
  }));

  function send(fixture: typeof open, { method, path, ...rest }: Send, token?: string) {
    let req = fixture.api()[method](path);
    if (token) req = req.set('Authorization', `Bearer ${token}`);
    if ('ifMatch' in rest) req = req.set('If-Match', rest.ifMatch);
    return 'body' in rest ? req.send(rest.body()) : req;
  }

  it('walks the router: every route declares the expected policy, and no route is missing from the table', () => {
    const app = open.app.app;
    const walked = routePolicies(app.get(DiscoveryService), app.get(MetadataScanner), app.get(Reflector)).map(
      ({ route, policy }) => ({ route, policy: policy?.kind === 'scope' ? policy.scope : policy?.kind }),
    );
    expect(walked.sort((a, b) => a.route.localeCompare(b.route))).toEqual(
      ROUTES.map(({ route, policy }) => ({ route, policy })).sort((a, b) => a.route.localeCompare(b.route)),
    );
  });

  it("documents each route in OpenAPI: its security, its 401/403, and the issuer's token URL", async () => {
    type Op = { security: Record<string, string[]>[]; responses: Record<string, unknown> };
    const doc = (await open.api().get('/docs-json').expect(200)).body as {
      paths: Record<string, Record<string, Op>>;
      components: { securitySchemes: Record<string, { flows?: { clientCredentials: { tokenUrl: string } } }> };
    };
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(['apiKey', 'bearer', 'oauth2']);
    expect(doc.components.securitySchemes.oauth2.flows?.clientCredentials.tokenUrl).toBe(
      `${provider.idp.issuer}/token`,
    );
    for (const { route, policy } of ROUTES) {
      const [method, path] = route.split(' ');
      const op = doc.paths[`/${path.replace(':id', '{id}')}`][method.toLowerCase()];
      if (policy === 'public') {
        expect({ route, security: op.security }).toEqual({ route, security: [] });
        continue;
      }
      const scope = policy === 'read' ? 'books:read' : policy;
      expect({ route, security: op.security }).toEqual({
        route,
        security: [...(policy === 'read' ? [{}] : []), { bearer: [] }, { apiKey: [] }, { oauth2: [scope] }],
      });
      expect({ route, has401: '401' in op.responses, has403: '403' in op.responses }).toEqual({
        route,
        has401: true,
        has403: policy !== 'read',
      });
    }
  });

  it('refuses to start an app with a route that declares no policy', async () => {
    @Controller('unguarded')
    class UnguardedController {
      @Get()
      list() {
        return [];
      }
    }
    @Module({ imports: [AuthModule], controllers: [UnguardedController] })
    class UnguardedModule {}
    const start = () =>
      withEnv({ AUTH_DISABLED: 'true' }, async () => {
        const moduleRef = await Test.createTestingModule({ imports: [UnguardedModule] }).compile();
        try {
          await moduleRef.init();
        } finally {
          await moduleRef.close();
        }
      });
    await expect(start()).rejects.toThrow(/Every route must declare an access policy.*GET unguarded/);
  });

  it.each(ROUTES)(
    '$route: the policy holds with public reads (default) and without',
    async ({ policy, send: request }) => {
      const needed = policy === 'read' ? 'books:read' : policy;
      const other = needed === 'books:delete' ? 'books:read' : 'books:delete';
      const [right, wrong] = await Promise.all([
        provider.idp.token(needed === 'public' ? 'books:read' : needed),
        provider.idp.token(other),
      ]);
      for (const fixture of [open, closed]) {
        const publicHere = policy === 'public' || (policy === 'read' && fixture === open);
        const anonymous = await send(fixture, request);
        if (publicHere) expect([200, 404]).toContain(anonymous.status);
        else
          expect({ status: anonymous.status, challenge: anonymous.headers['www-authenticate'] }).toEqual({
            status: 401,
            challenge: `Bearer realm="bookapi", scope="${needed}"`,
          });
        const withWrong = await send(fixture, request, wrong);
        expect(withWrong.status).toBe(publicHere ? anonymous.status : 403);
        const withRight = await send(fixture, request, right);
        expect([200, 201, 204, 404]).toContain(withRight.status);
      }
    },
  );
});
