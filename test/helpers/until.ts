/**
 * Polls `condition` every 100 ms until it holds (a throw counts as not yet). The deadline only
 * stops a hung run with a message naming `what`; it asserts no timing.
 */
export async function until(what: string, condition: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
