/** Replaces the password in a connection URL, so the URL can be logged. */
export function redactUrl(url: string | URL): string {
  let parsed: URL;
  try {
    parsed = new URL(url.toString());
  } catch {
    return '<unparseable url>';
  }
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

/** The database a URL names, decoded ("/Book%20Store" is "Book Store"). */
export function databaseNameOf(url: URL): string {
  return decodeURIComponent(url.pathname.replace(/^\//, ''));
}

/** The same server and credentials, another database. */
export function withDatabase(url: URL, database: string): URL {
  const copy = new URL(url.toString());
  copy.pathname = '/' + encodeURIComponent(database);
  return copy;
}

/** Removes every occurrence of the secrets from a piece of text (error messages, log lines). */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (!secret) continue;
    out = out.split(secret).join('***');
    const encoded = encodeURIComponent(secret);
    if (encoded !== secret) out = out.split(encoded).join('***');
  }
  return out;
}

const CREDENTIAL_NAMES = 'access_token|id_token|refresh_token|token|api_key|apikey|x-api-key|key';
const CREDENTIAL_PARAMS = new RegExp(`([?&](?:${CREDENTIAL_NAMES})=)[^&#]*`, 'gi');
const CREDENTIAL_PARAM = new RegExp(`^(?:${CREDENTIAL_NAMES})$`, 'i');

/** True for a query parameter name that usually carries a credential (any case). */
export function isCredentialParam(name: string): boolean {
  return CREDENTIAL_PARAM.test(name);
}

/** A request URL with the values of credential-looking query parameters replaced, for logs and problem bodies. */
export function redactCredentialParams(url: string): string {
  return url.includes('?') ? url.replace(CREDENTIAL_PARAMS, '$1***') : url;
}
