import type { Socket } from 'node:net';
import { PROBLEM_CONTENT_TYPE } from './problem-details';
import { problemTypeOf } from './problem-types';

/** Node's codes for a client that broke the protocol before a route could answer. */
const STATUS_OF: Record<string, number> = {
  ERR_HTTP_REQUEST_TIMEOUT: 408,
  HPE_HEADER_OVERFLOW: 431,
};

/**
 * Answers a client error (a body trickled past REQUEST_TIMEOUT_MS, headers too large, bytes that
 * are not HTTP) with problem+json like every other error, then closes, as Fastify's default does.
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  if (socket.writable) {
    const status = STATUS_OF[error.code ?? ''] ?? 400;
    const type = problemTypeOf(status);
    const body = JSON.stringify({
      type: `/problems/${type.slug}`,
      title: type.title,
      status,
      detail: status === 408 ? 'The request was not received in time' : 'The request could not be read',
    });
    socket.write(
      `HTTP/1.1 ${status} ${type.title}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}
