/**
 * A PostgreSQL WAL position (pg_lsn), e.g. "16/B374D848": two hex halves of a 64-bit byte
 * offset. Compared as bigints; the text form is the consistency token clients carry.
 */
export type Lsn = bigint;

const LSN_TEXT = /^([0-9A-F]{1,8})\/([0-9A-F]{1,8})$/i;

/** The LSN in `text`, or undefined when it is not one. */
export function parseLsn(text: string): Lsn | undefined {
  const match = LSN_TEXT.exec(text.trim());
  if (!match) return undefined;
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

export function formatLsn(lsn: Lsn): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;
}
