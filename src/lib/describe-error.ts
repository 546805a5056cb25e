/** `Name: message`, first line only: what a one-line log or startup message shows of an error. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`.split('\n')[0];
  return String(error);
}
