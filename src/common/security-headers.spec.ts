import { API_HEADERS, DOCUMENT_HEADERS, helmetHeaders } from './security-headers';

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

  it('gives JSON responses the API set: nothing may load, frame or sniff them', () => {
    expect(helmetHeaders(API_HEADERS)).toEqual({
      'content-security-policy': "default-src 'none';frame-ancestors 'none'",
      'cross-origin-resource-policy': 'same-origin',
      'referrer-policy': 'no-referrer',
      'strict-transport-security': 'max-age=31536000; includeSubDomains',
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
    });
  });

  it("gives the docs helmet's document headers, with a CSP that lets Swagger UI run", () => {
    const headers = helmetHeaders(DOCUMENT_HEADERS);
    expect(Object.keys(headers)).toEqual(
      expect.arrayContaining(['cross-origin-opener-policy', 'origin-agent-cluster', 'x-xss-protection']),
    );
    expect(headers['content-security-policy']).toContain("script-src 'self'");
    expect(headers['content-security-policy']).toContain("style-src 'self' 'unsafe-inline'");
    expect(headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
  });

  it('refuses options helmet refuses', () => {
    expect(() =>
      helmetHeaders({ contentSecurityPolicy: { directives: { defaultSrc: ["'self'", 'bad value;'] } } }),
    ).toThrow();
  });
});
