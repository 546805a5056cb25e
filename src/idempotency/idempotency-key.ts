import { ProblemException } from '../common/problem-details';
import { PROBLEM_TYPES } from '../common/problem-types';

export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';
export const MAX_KEY_LENGTH = 255;

/** Visible ASCII (VCHAR) without the characters that delimit or quote a structured field. */
const BARE = /^[\x21\x23-\x2B\x2D-\x5B\x5D-\x7E]+$/;
/** An RFC 8941 sf-string: printable ASCII, `"` and `\` escaped by a backslash. */
const QUOTED = /^"((?:[\x20\x21\x23-\x5B\x5D-\x7E]|\\["\\])*)"$/;
const VISIBLE = /^[\x21-\x7E]+$/;

/**
 * The key an Idempotency-Key header carries: an RFC 8941 string (`"…"`) or a bare token, 1 to 255
 * visible ASCII characters either way (`"abc"` and `abc` are the same key). Undefined when the
 * header is absent; anything else, an empty value included, is a 400.
 */
export function parseIdempotencyKey(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (Array.isArray(header)) throw invalidKey('send one Idempotency-Key header, not several');
  const quoted = QUOTED.exec(header);
  const key = quoted ? quoted[1].replace(/\\(["\\])/g, '$1') : header;
  if (key.length === 0) throw invalidKey('Idempotency-Key is empty');
  if (key.length > MAX_KEY_LENGTH) throw invalidKey(`Idempotency-Key is longer than ${MAX_KEY_LENGTH} characters`);
  if (quoted ? !VISIBLE.test(key) : !BARE.test(key)) {
    throw invalidKey(
      'Idempotency-Key must be visible ASCII characters, either bare (no quote, backslash or comma) or as a ' +
        'structured-field string ("…")',
    );
  }
  return key;
}

export function invalidKey(detail: string): ProblemException {
  return new ProblemException(PROBLEM_TYPES.invalidIdempotencyKey, detail, [
    { field: IDEMPOTENCY_KEY_HEADER, message: detail },
  ]);
}
