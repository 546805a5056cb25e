/**
 * When a request last found the database unreachable (a connection that failed or was lost),
 * process-wide. Readiness reuses a recent "up" only if no request has seen an outage since, so
 * its short cache never hides an outage that requests are already answering 503 for.
 */
let lastSeenAt = -Infinity;

export const databaseOutage = {
  seen(at = Date.now()): void {
    lastSeenAt = Math.max(lastSeenAt, at);
  },
  /** Has a request seen the database unreachable at or after `at` (ms since the epoch)? */
  seenSince(at: number): boolean {
    return lastSeenAt >= at;
  },
};
