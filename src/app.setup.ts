import { Logger } from '@nestjs/common';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { AuthGuard } from './auth/auth.guard';
import { JwtVerifier } from './auth/jwt-verifier';
import { DevelopmentApiKey } from './auth/api-keys/development-key';
import { documentSecurity, setTokenUrl } from './auth/openapi-security';
import { authorizeWithDevelopmentKey } from './auth/swagger-development-key';
import { routePolicies } from './auth/route-policies';
import { installConsistencyScope } from './consistency/consistency-token';
import { answerClientError } from './common/client-error';
import { useDepthCheckedJsonParser } from './common/json-body-parser';
import { installShutdownHooks } from './common/shutdown/shutdown-hooks';
import { ShutdownState } from './common/shutdown/shutdown-state';
import { API_HEADERS, DOCUMENT_HEADERS, helmetHeaders } from './common/security-headers';
import { lazyChildLogger } from './observability/pino-logger';
import { RateLimitGuard } from './common/throttler-options';
import { createValidationPipe } from './common/validation';
import { ReplicaSet } from './database/replicas/replica-set';
import { idempotencyConfig } from './config/idempotency.config';
import { publishIdempotencyPolicy } from './idempotency/api-idempotency-key';
import type { AppConfig } from './config/app.config';
import { authConfig, type AuthConfig } from './config/auth.config';
import type { TrustProxy } from './config/trust-proxy';
import { redactCredentialParams } from './lib/url';

const REQUEST_ID = /^[\w.:-]{1,128}$/;

export function createFastifyAdapter(config: AppConfig, logger?: FastifyBaseLogger): FastifyAdapter {
  return new FastifyAdapter({
    // Fastify logs through the app's pino logger; the request line below replaces its own two.
    ...(logger && {
      loggerInstance: logger,
      logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
      childLoggerFactory: lazyChildLogger,
    }),
    bodyLimit: config.bodyLimitBytes,
    // A client trickling its headers or body is answered 408 and closed (Node checks every second).
    requestTimeout: config.requestTimeoutMs,
    connectionTimeout: config.connectionTimeoutMs,
    keepAliveTimeout: config.keepAliveTimeoutMs,
    http: {
      headersTimeout: config.headersTimeoutMs,
      requestTimeout: config.requestTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, config.requestTimeoutMs),
    },
    // Unset: request.ip is the socket's peer and X-Forwarded-For is ignored.
    ...(config.trustProxy !== undefined ? { trustProxy: fastifyTrustProxy(config.trustProxy) } : {}),
    // Our own onRequest hook answers with problem+json while draining.
    return503OnClosing: false,
    // A trickled body's 408 and a malformed request's 400 are problem+json too.
    clientErrorHandler: answerClientError,
    forceCloseConnections: 'idle',
    // `__proto__` and `constructor` keys are refused by the JSON parser (400).
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    genReqId: (req: Pick<IncomingMessage, 'headers'>) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
  });
}

/**
 * Options for every Nest application made from AppModule (main.ts and the tests). No body parsers of
 * Nest's: it would add a form-urlencoded one, so `title=x` would pass as a PATCH body. Fastify keeps
 * its JSON parser (replaced by the depth-checked one in configureApp), and any other media type with
 * a body is Fastify's 415, before any route runs.
 */
export const NEST_APP_OPTIONS = { bodyParser: false } as const;

/** A hop count trusts that many proxies nearest the socket (proxy-addr's own rule for numbers). */
function fastifyTrustProxy(trust: TrustProxy): string[] | ((address: string, hop: number) => boolean) {
  return typeof trust === 'number' ? (_address, hop) => hop < trust : trust;
}

/** Everything main.ts and the end-to-end tests apply alike to a created app. */
export function configureApp(app: NestFastifyApplication, config: AppConfig): void {
  const fastify = app.getHttpAdapter().getInstance();
  const shutdown = app.get(ShutdownState);

  // Only JSON bodies: a text/plain body is a 415, not a string handed to the validator.
  fastify.removeContentTypeParser(['text/plain']);
  useDepthCheckedJsonParser(app, config);
  enableCors(app, config);

  // One hook for the headers every response carries: security headers (computed once) and the request id.
  const apiHeaders = helmetHeaders(API_HEADERS);
  const documentHeaders = helmetHeaders(DOCUMENT_HEADERS);
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply
      .headers(request.url.startsWith(DOCS_PATH) ? documentHeaders : apiHeaders)
      .header('x-request-id', request.id);
    done();
  });
  installShutdownHooks(fastify, shutdown);
  const replicas = app.get(ReplicaSet);
  installConsistencyScope(fastify, { tokens: replicas.replicas.length > 0, horizon: replicas.horizon });
  // One line per request at LOG_LEVEL=log and below; above, no hook builds a line nobody writes.
  if (config.logLevel !== 'error' && config.logLevel !== 'warn') logRequests(fastify, config);

  app.useGlobalPipes(createValidationPipe());
  // Access control first, so the rate limit counts per caller; with AUTH_DISABLED no route checks anything.
  const auth = app.get<AuthConfig>(authConfig.KEY);
  app.useGlobalGuards(
    ...(auth.disabled ? [] : [app.get(AuthGuard)]),
    ...(config.throttle.enabled ? [app.get(RateLimitGuard)] : []),
  );
  if (config.docsEnabled) setupSwagger(app, config);
}

/** One line per request: fields to query in JSON logs, a sentence in readable ones. */
function logRequests(fastify: FastifyInstance, config: AppConfig): void {
  const http = new Logger('HTTP');
  fastify.addHook('onResponse', (request, reply, done) => {
    const line = {
      method: request.method,
      url: redactCredentialParams(request.url),
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 10) / 10,
      requestId: request.id,
      ip: request.ip,
    };
    http.log(
      config.logFormat === 'json'
        ? line
        : `${line.method} ${line.url} ${line.status} from ${line.ip} ${line.ms}ms id=${line.requestId}`,
    );
    done();
  });
}

/** Swagger UI and its assets; everything else the service sends is JSON. */
const DOCS_PATH = '/docs';

/** CORS for the configured origins only. */
function enableCors(app: NestFastifyApplication, config: AppConfig): void {
  if (config.corsOrigins.length === 0) return;
  app.enableCors({
    origin: config.corsOrigins.includes('*') ? '*' : config.corsOrigins,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: [
      'Authorization',
      'Content-Type',
      'If-Match',
      'If-None-Match',
      'Idempotency-Key',
      'X-API-Key',
      'X-Request-Id',
    ],
    exposedHeaders: ['ETag', 'Location', 'Retry-After', 'Idempotent-Replayed', 'WWW-Authenticate', 'X-Request-Id'],
    maxAge: 600,
  });
}

function setupSwagger(app: NestFastifyApplication, config: AppConfig): void {
  // Built at the first request for /docs or /docs-json, not at startup: a start (and a watch-mode
  // restart) does not wait for it.
  const document = (): OpenAPIObject => {
    const built = SwaggerModule.createDocument(
      app,
      new DocumentBuilder()
        .setTitle('bookapi')
        .setDescription(
          'Books API on PostgreSQL. Errors are application/problem+json (RFC 9457). ' +
            'Writes to a book need its ETag in If-Match. Writes need a bearer token or an API key with the ' +
            'scope each operation names (Authorize, above).',
        )
        .setVersion('1.0')
        .addServer('/', 'This server')
        .addTag('books', 'Create, list, read, change and delete books')
        .addTag('health', 'Liveness and readiness probes')
        .build(),
    );
    publishIdempotencyPolicy(built, app.get(idempotencyConfig.KEY));
    const routes = routePolicies(app.get(DiscoveryService), app.get(MetadataScanner), app.get(Reflector));
    documentSecurity(built, routes, auth, keys.tokenEndpoint);
    return built;
  };
  const auth = app.get<AuthConfig>(authConfig.KEY);
  const keys = app.get(JwtVerifier).keys;
  SwaggerModule.setup(DOCS_PATH.slice(1), app, document, {
    jsonDocumentUrl: 'docs-json',
    // In development on loopback, authorized with the service's own key (src/auth/api-keys/development-key.ts).
    swaggerOptions: authorizeWithDevelopmentKey(
      { persistAuthorization: false },
      app.get(DevelopmentApiKey),
      config.host,
      app.getHttpAdapter().getInstance(),
      DOCS_PATH,
    ),
    // The issuer's token URL is known once discovery answered, which may be after startup.
    ...(auth.issuer && {
      patchDocumentOnRequest: (_req: unknown, _res: unknown, doc: OpenAPIObject) => {
        setTokenUrl(doc, keys.tokenEndpoint);
        return doc;
      },
    }),
  });
}
