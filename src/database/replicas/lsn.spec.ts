import { formatLsn, parseLsn } from './lsn';

describe('LSN tokens', () => {
  it('parses both halves as hex and orders positions numerically, not as text', () => {
    expect(parseLsn('0/3000148')).toBe(0x3000148n);
    expect(parseLsn('16/B374D848')).toBe((0x16n << 32n) | 0xb374d848n);
    // As strings "9/0" > "10/0"; as positions it is the other way round.
    expect(parseLsn('9/0')! < parseLsn('10/0')!).toBe(true);
  });

  it('round-trips through the text form PostgreSQL prints', () => {
    for (const text of ['0/0', '0/16B3748', 'FFFFFFFF/FFFFFFFF', '1/A']) {
      expect(formatLsn(parseLsn(text)!)).toBe(text);
    }
  });

  it('refuses anything that is not an LSN', () => {
    for (const text of ['', '0', '0/', '/0', 'x/1', '1/2/3', '123456789/0', '0/123456789', '-1/0']) {
      expect(parseLsn(text)).toBeUndefined();
    }
  });
});
