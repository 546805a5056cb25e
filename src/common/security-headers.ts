import helmet, { type HelmetOptions } from 'helmet';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Helmet's response headers, computed once at startup. None of them depends on the request
 * (no CSP nonces here), and @fastify/helmet rebuilt helmet's middleware on every request
 * (docs/decisions/0006-api-security-headers.md). The caller sets the returned headers in its onRequest hook.
 */
export function helmetHeaders(options: HelmetOptions): Readonly<Record<string, string>> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader: (name: string, value: string | number) => {
      headers[name.toLowerCase()] = String(value);
    },
    removeHeader: () => undefined,
  };
  let failure: Error | undefined;
  // helmet's middleware is synchronous: it has set every header when `next` runs.
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, (error?: unknown) => {
    if (error !== undefined) failure = error instanceof Error ? error : new Error('helmet refused its options');
  });
  if (failure) throw failure;
  return Object.freeze(headers);
}

/**
 * JSON responses (OWASP REST Security Cheat Sheet): nothing may load, frame or sniff them. Helmet's
 * headers that only an HTML document uses (COOP, Origin-Agent-Cluster, X-DNS-Prefetch-Control,
 * X-Download-Options, X-Permitted-Cross-Domain-Policies, X-XSS-Protection) are left to /docs: each
 * header is work on every response (docs/decisions/0006-api-security-headers.md).
 */
export const API_HEADERS: HelmetOptions = {
  contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
  xFrameOptions: { action: 'deny' },
  crossOriginOpenerPolicy: false,
  originAgentCluster: false,
  xDnsPrefetchControl: false,
  xDownloadOptions: false,
  xPermittedCrossDomainPolicies: false,
  xXssProtection: false,
};

/** Swagger UI at /docs: helmet's defaults, with scripts from this origin, inline styles and data: images. */
export const DOCUMENT_HEADERS: HelmetOptions = {
  contentSecurityPolicy: {
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:'],
      // Plain-HTTP deployments (compose, localhost) would otherwise break /docs.
      upgradeInsecureRequests: null,
    },
  },
};
