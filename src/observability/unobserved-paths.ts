/**
 * Health probes and metrics scrapes are left out of the request histogram and of tracing: an
 * orchestrator's probe every few seconds would dominate a quiet service's latency figures, and
 * a scrape measuring itself tells nothing. Their own outcome is what the prober records.
 */
export function isUnobservedPath(pathOrRoute: string): boolean {
  return /^\/(health|metrics)(\/|\?|$)/.test(pathOrRoute);
}
