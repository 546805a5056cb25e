import { API_KEY_NAME } from './api-key.store';

/** Every scope a key may carry (the route policies name the same three). */
export const API_KEY_SCOPES = ['books:read', 'books:write', 'books:delete'] as const;

export type ApiKeyCommand =
  | { command: 'create'; name: string; scopes: string[]; expiresInMs?: number }
  | { command: 'list' }
  | { command: 'revoke'; name: string };

export const USAGE = `Usage:
  npm run apikey -- create --name NAME --scopes "books:write books:delete" [--expires-in 90d]
  npm run apikey -- list
  npm run apikey -- revoke --name NAME
Scopes: ${API_KEY_SCOPES.join(', ')}. --expires-in takes a number and a unit: s, m, h, d or w (e.g. 12h, 90d).
The key is printed once, alone on the last line; only its hash is stored.`;

/** Bad command-line input: printed with the usage, exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
/** Ten years: a longer expiry is a typo more often than a wish. */
const MAX_EXPIRY_MS = 3650 * UNIT_MS.d;

export function parseApiKeyArgs(argv: readonly string[]): ApiKeyCommand {
  const [command, ...rest] = argv;
  const options = parseOptions(rest);
  const allowed: Record<string, string[]> = { create: ['name', 'scopes', 'expires-in'], list: [], revoke: ['name'] };
  if (command === undefined) throw new UsageError('No command given');
  if (!(command in allowed)) throw new UsageError(`Unknown command "${command}" (expected create, list or revoke)`);
  for (const option of options.keys()) {
    if (!allowed[command].includes(option)) throw new UsageError(`${command} takes no --${option}`);
  }
  if (command === 'list') return { command };
  const name = requireName(options.get('name'));
  if (command === 'revoke') return { command, name };
  const expiresIn = options.get('expires-in');
  return {
    command: 'create',
    name,
    scopes: parseScopes(options.get('scopes')),
    ...(expiresIn !== undefined && { expiresInMs: parseDuration(expiresIn) }),
  };
}

function parseOptions(args: readonly string[]): Map<string, string> {
  const options = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const match = /^--([a-z-]+)(?:=(.*))?$/s.exec(args[i]);
    if (!match) throw new UsageError(`Unexpected argument "${args[i]}"`);
    const [, option, inline] = match;
    const value = inline ?? args[++i];
    if (value === undefined || (inline === undefined && value.startsWith('--'))) {
      throw new UsageError(`--${option} needs a value`);
    }
    if (options.has(option)) throw new UsageError(`--${option} is given twice`);
    options.set(option, value);
  }
  return options;
}

function requireName(name: string | undefined): string {
  if (name === undefined) throw new UsageError('--name is required');
  if (!API_KEY_NAME.test(name)) {
    throw new UsageError(
      `--name must be 1 to 100 letters, digits, ".", "_", "@" or "-", starting with a letter or digit (got "${name}")`,
    );
  }
  return name;
}

function parseScopes(value: string | undefined): string[] {
  if (value === undefined) throw new UsageError(`--scopes is required, e.g. --scopes "books:write books:delete"`);
  const scopes = [...new Set(value.split(/[\s,]+/).filter(Boolean))];
  if (scopes.length === 0) throw new UsageError('--scopes names no scope');
  const unknown = scopes.filter((scope) => !(API_KEY_SCOPES as readonly string[]).includes(scope));
  if (unknown.length > 0) {
    throw new UsageError(
      `Unknown scope ${unknown.map((s) => `"${s}"`).join(', ')} (expected ${API_KEY_SCOPES.join(', ')})`,
    );
  }
  return scopes;
}

export function parseDuration(value: string): number {
  const match = /^(\d{1,6})([smhdw])$/.exec(value.trim());
  const ms = match ? Number(match[1]) * UNIT_MS[match[2]] : NaN;
  if (!(ms > 0) || ms > MAX_EXPIRY_MS) {
    throw new UsageError(
      `--expires-in must be a positive number and a unit s, m, h, d or w, at most 3650d (got "${value}")`,
    );
  }
  return ms;
}
