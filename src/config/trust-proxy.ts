import * as net from 'node:net';

/**
 * TRUST_PROXY: how many proxy hops to trust (an integer), or which proxies (comma-separated
 * addresses or CIDRs). Never a blanket `true`: then any client could forge X-Forwarded-For.
 * undefined means forwarded headers are ignored.
 */
export type TrustProxy = number | string[];

/** The parsed value, or a problem naming the variable; `true`/`*` are refused. */
export function parseTrustProxy(raw: string | undefined): { value?: TrustProxy; problem?: string } {
  if (raw === undefined || raw.trim() === '') return {};
  const text = raw.trim();
  if (/^\d+$/.test(text)) {
    const hops = Number(text);
    if (hops < 1 || hops > 10) return { problem: `TRUST_PROXY hop count must be from 1 to 10 (got "${text}")` };
    return { value: hops };
  }
  const entries = text
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  const bad = entries.filter((entry) => !isAddressOrCidr(entry));
  if (bad.length > 0 || entries.length === 0) {
    return {
      problem: `TRUST_PROXY must be a hop count or a comma-separated list of proxy addresses or CIDRs, never true (got "${bad.join(',') || text}")`,
    };
  }
  return { value: entries };
}

function isAddressOrCidr(entry: string): boolean {
  const [address, bits, ...rest] = entry.split('/');
  const family = net.isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (bits === undefined) return true;
  if (!/^\d{1,3}$/.test(bits)) return false;
  return Number(bits) <= (family === 4 ? 32 : 128);
}
