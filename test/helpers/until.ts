/**
 * Polls `condition` every 100 ms until it holds, and answers how long that took (for a report, never
 * an assertion). A throw counts as not yet; the last one is named if time runs out. The deadline only
 * stops a hung run with a message naming `what`, and `detail()` (a process's output, say).
 */
export async function until(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 30_000,
  detail?: () => string,
): Promise<number> {
  const started = Date.now();
  let failure: unknown;
  for (;;) {
    try {
      if (await condition()) return Date.now() - started;
    } catch (error) {
      failure = error;
    }
    if (Date.now() - started > timeoutMs) {
      const cause = failure instanceof Error ? ` (last error: ${failure.message})` : '';
      throw new Error(`${what}: not within ${timeoutMs} ms${cause}${detail ? `\n${detail()}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
