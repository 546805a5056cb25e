import { buildAppConfig } from './app.config';
import { parseTrustProxy } from './trust-proxy';

describe('TRUST_PROXY', () => {
  it('is unset by default: forwarded headers are ignored', () => {
    expect(buildAppConfig({}).trustProxy).toBeUndefined();
  });

  it('takes a hop count or a list of addresses and CIDRs', () => {
    expect(parseTrustProxy('1')).toEqual({ value: 1 });
    expect(parseTrustProxy('10.0.0.0/8, 127.0.0.1,::1, fd00::/8')).toEqual({
      value: ['10.0.0.0/8', '127.0.0.1', '::1', 'fd00::/8'],
    });
    expect(buildAppConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
  });

  it('refuses a blanket true, and anything that is not an address, naming the variable', () => {
    for (const raw of ['true', '*', 'yes', '0', '10.0.0.0/33', 'proxy.internal', '1.2.3.4/8/1']) {
      expect({ raw, problem: parseTrustProxy(raw).problem }).toEqual({
        raw,
        problem: expect.stringContaining('TRUST_PROXY'),
      });
    }
    expect(() => buildAppConfig({ TRUST_PROXY: 'true' })).toThrow(/TRUST_PROXY/);
  });
});

describe('request timeouts', () => {
  it('default to 30 s for a whole request, and never let the headers take longer than that', () => {
    expect(buildAppConfig({})).toMatchObject({ requestTimeoutMs: 30_000, headersTimeoutMs: 10_000 });
    expect(buildAppConfig({ REQUEST_TIMEOUT_MS: '2000' })).toMatchObject({
      requestTimeoutMs: 2000,
      headersTimeoutMs: 2000,
    });
    expect(() => buildAppConfig({ REQUEST_TIMEOUT_MS: '0' })).toThrow(/REQUEST_TIMEOUT_MS/);
  });
});
