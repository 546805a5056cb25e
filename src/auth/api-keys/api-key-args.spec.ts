import { parseApiKeyArgs, parseDuration, UsageError } from './api-key-args';

describe('apikey command line', () => {
  it('parses create, list and revoke', () => {
    expect(
      parseApiKeyArgs(['create', '--name', 'ci', '--scopes', 'books:write books:delete', '--expires-in', '90d']),
    ).toEqual({
      command: 'create',
      name: 'ci',
      scopes: ['books:write', 'books:delete'],
      expiresInMs: 90 * 86_400_000,
    });
    expect(parseApiKeyArgs(['create', '--name=ci', '--scopes=books:read,books:read'])).toEqual({
      command: 'create',
      name: 'ci',
      scopes: ['books:read'],
    });
    expect(parseApiKeyArgs(['list'])).toEqual({ command: 'list' });
    expect(parseApiKeyArgs(['revoke', '--name', 'ci'])).toEqual({ command: 'revoke', name: 'ci' });
  });

  it.each([
    [[], /No command given/],
    [['delete', '--name', 'x'], /Unknown command "delete"/],
    [['create', '--scopes', 'books:read'], /--name is required/],
    [['create', '--name', 'x'], /--scopes is required/],
    [['create', '--name', 'x', '--scopes', ' '], /--scopes names no scope/],
    [['create', '--name', 'x', '--scopes', 'books:admin books:read'], /Unknown scope "books:admin"/],
    [['create', '--name', 'a b', '--scopes', 'books:read'], /--name must be/],
    [['create', '--name', '-x', '--scopes', 'books:read'], /--name must be/],
    [['create', '--name', 'x'.repeat(101), '--scopes', 'books:read'], /--name must be/],
    [['create', '--name', '--scopes', 'books:read'], /--name needs a value/],
    [['create', '--name', 'x', '--name', 'y', '--scopes', 'books:read'], /--name is given twice/],
    [['list', '--name', 'x'], /list takes no --name/],
    [['revoke', 'x'], /Unexpected argument "x"/],
  ])('refuses %j', (args, message) => {
    expect(() => parseApiKeyArgs(args)).toThrow(UsageError);
    expect(() => parseApiKeyArgs(args)).toThrow(message);
  });

  it('reads durations in s, m, h, d and w, up to ten years', () => {
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('15m')).toBe(900_000);
    expect(parseDuration('12h')).toBe(43_200_000);
    expect(parseDuration('2w')).toBe(1_209_600_000);
    for (const bad of ['90', '0d', '-1d', '1y', '3651d', 'd', '1.5d'])
      expect(() => parseDuration(bad)).toThrow(UsageError);
  });
});
