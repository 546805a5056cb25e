import { helmetHeaders } from './security-headers';

describe('helmetHeaders', () => {
  it("records helmet's headers once, with the configured CSP", () => {
    const headers = helmetHeaders({
      contentSecurityPolicy: { directives: { defaultSrc: ["'self'"], imgSrc: ['data:'] } },
    });
    expect(headers['content-security-policy']).toContain("default-src 'self'");
    expect(headers['content-security-policy']).toContain('img-src data:');
    expect(headers).toMatchObject({
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'SAMEORIGIN',
      'strict-transport-security': expect.stringMatching(/^max-age=\d+/) as string,
    });
    expect(Object.isFrozen(headers)).toBe(true);
  });

  it('refuses options helmet refuses', () => {
    expect(() =>
      helmetHeaders({ contentSecurityPolicy: { directives: { defaultSrc: ["'self'", 'bad value;'] } } }),
    ).toThrow();
  });
});
