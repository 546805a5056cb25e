import { buildAuthConfig } from './auth.config';

describe('buildAuthConfig', () => {
  it('defaults to access control on, public reads, no issuer and every asymmetric algorithm', () => {
    const config = buildAuthConfig({});
    expect(config).toMatchObject({ disabled: false, publicReads: true, issuer: undefined, clockToleranceSec: 30 });
    expect(config.algorithms).toEqual(expect.arrayContaining(['RS256', 'ES256', 'EdDSA']));
    expect(config.algorithms.some((alg) => alg === 'none' || alg.startsWith('HS'))).toBe(false);
  });

  it('keeps the issuer exactly as written, since iss must equal it', () => {
    const config = buildAuthConfig({ AUTH_ISSUER: 'https://tenant.auth0.com/', AUTH_AUDIENCE: 'https://api' });
    expect(config.issuer).toBe('https://tenant.auth0.com/');
  });

  it.each([
    [{ AUTH_ISSUER: 'https://login.example.com' }, /AUTH_AUDIENCE must be set with AUTH_ISSUER/],
    [{ AUTH_ISSUER: 'login.example.com', AUTH_AUDIENCE: 'x' }, /AUTH_ISSUER must be the issuer's http\(s\) URL/],
    [{ AUTH_ALGORITHMS: 'RS256,HS256' }, /AUTH_ALGORITHMS must list asymmetric algorithms .*refused: HS256/],
    [{ AUTH_ALGORITHMS: 'none' }, /AUTH_ALGORITHMS .*refused: none/],
    [{ AUTH_DISABLED: 'maybe' }, /AUTH_DISABLED must be true or false/],
    [{ AUTH_CLOCK_TOLERANCE_S: '3600' }, /AUTH_CLOCK_TOLERANCE_S must be an integer from 0 to 300/],
  ])('refuses %j, naming the variable', (env, message) => {
    expect(() => buildAuthConfig(env)).toThrow(message);
  });
});
