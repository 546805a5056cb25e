import { redactCredentialParams } from './url';

describe('redactCredentialParams', () => {
  it.each([
    ['/books?access_token=eyJ.a.b', '/books?access_token=***'],
    ['/books?limit=1&api_key=bk_1&x=2', '/books?limit=1&api_key=***&x=2'],
    ['/books?ACCESS_TOKEN=abc#frag', '/books?ACCESS_TOKEN=***#frag'],
    ['/books?limit=1', '/books?limit=1'],
    ['/books/1', '/books/1'],
  ])('%s -> %s', (url, expected) => {
    expect(redactCredentialParams(url)).toBe(expected);
  });
});
