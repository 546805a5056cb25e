const started = Date.now();

/** One progress line, stamped with the seconds since the run began. */
export function log(message: string): void {
  console.log(`[bench +${String(Math.round((Date.now() - started) / 1000)).padStart(4)}s] ${message}`);
}
