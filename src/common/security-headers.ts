import helmet, { type HelmetOptions } from 'helmet';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Helmet's response headers, computed once at startup. None of them depends on the request
 * (no CSP nonces here), and @fastify/helmet rebuilt helmet's middleware on every request
 * (bench/FINDINGS.md: ~30 µs of ~500). The caller sets the returned headers in its onRequest hook.
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
