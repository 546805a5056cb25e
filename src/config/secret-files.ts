import * as fs from 'node:fs';
import { EnvReader } from './env-parsers';

type Env = Record<string, string | undefined>;

/**
 * Docker secrets: each *_PASSWORD_FILE names a file (e.g. /run/secrets/...) whose content is the
 * password of its role's URLs, so the environment, which `docker inspect` and every child process
 * can read, holds URLs without passwords. Applied to the environment once at startup, before any
 * config is read; a URL that carries a password of its own while its file is set is refused.
 */
export function applySecretFiles(env: Env): void {
  const read = new EnvReader(env);
  const secrets = [
    {
      variable: 'DATABASE_PASSWORD_FILE',
      file: read.string('DATABASE_PASSWORD_FILE'),
      urls: ['DATABASE_URL', 'DATABASE_DIRECT_URL', 'DATABASE_REPLICA_URLS'],
    },
    {
      variable: 'DATABASE_MIGRATION_PASSWORD_FILE',
      file: read.string('DATABASE_MIGRATION_PASSWORD_FILE'),
      urls: ['DATABASE_MIGRATION_URL'],
    },
    {
      variable: 'DATABASE_ADMIN_PASSWORD_FILE',
      file: read.string('DATABASE_ADMIN_PASSWORD_FILE'),
      urls: ['DATABASE_ADMIN_URL'],
    },
    { variable: 'REDIS_PASSWORD_FILE', file: read.string('REDIS_PASSWORD_FILE'), urls: ['REDIS_URL'] },
  ];
  for (const { variable, file, urls } of secrets) {
    if (file === undefined) continue;
    const password = readSecret(read, variable, file);
    if (password === undefined) continue;
    let filled = 0;
    for (const name of urls) {
      const raw = read.string(name);
      if (raw === undefined) continue;
      env[name] = raw
        .split(',')
        .map((item) => {
          // A malformed URL is left for its config to report, without echoing it.
          if (!URL.canParse(item.trim())) return item;
          const url = new URL(item.trim());
          if (url.password !== '') {
            // A replica may log in as another role, with its own password.
            if (name !== 'DATABASE_REPLICA_URLS') {
              read.problem(`${name} carries a password and ${variable} is set: give the password in one place`);
            }
            return item;
          }
          url.password = encodeURIComponent(password);
          filled += 1;
          return url.toString();
        })
        .join(',');
    }
    if (filled === 0) read.problem(`${variable} is set but none of ${urls.join(', ')} is a URL without a password`);
  }
  read.done();
}

function readSecret(read: EnvReader, variable: string, file: string): string | undefined {
  let content: string;
  try {
    content = fs.readFileSync(file, 'utf8');
  } catch (error) {
    read.problem(`${variable}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`);
    return undefined;
  }
  // A secret file written by `echo` ends with a newline that is not part of the password.
  const password = content.replace(/\r?\n$/, '');
  if (password === '') read.problem(`${variable}: ${file} is empty`);
  return password === '' ? undefined : password;
}
