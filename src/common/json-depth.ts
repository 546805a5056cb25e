/** Deepest nesting a JSON body may have; the API's deepest body (a batch of books) needs 3. */
export const MAX_JSON_DEPTH = 32;

/**
 * True when `text` nests arrays/objects deeper than `max`. One pass with a counter, no
 * recursion: 20,000 levels in 40 KB would otherwise overflow the stack of whatever walks the
 * parsed value (a RangeError, a 500 and a stack trace in the log).
 */
export function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > max) return true;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--;
    }
  }
  return false;
}
