import { generateApiKey } from './api-key-secret';

/** Anything that runs one statement: the app's DataSource, or the CLI's. */
export interface Queryable {
  query<T = unknown>(sql: string, parameters?: unknown[]): Promise<T>;
}

/** One key as read back; never its hash outside this room. */
export interface ApiKeyRecord {
  id: string;
  name: string;
  secretHash: Buffer;
  scopes: string[];
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

const COLUMNS =
  'id, name, secret_hash AS "secretHash", scopes, created_at AS "createdAt", expires_at AS "expiresAt", ' +
  'last_used_at AS "lastUsedAt", revoked_at AS "revokedAt"';

/** A key's name is how createdBy/updatedBy name its caller, so it is refused when it would read badly there. */
export const API_KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$/;

/** The SQL of the api_keys table, shared by the verifier, the CLI and the development key. */
export class ApiKeyStore {
  constructor(private readonly db: Queryable) {}

  async findById(id: string): Promise<ApiKeyRecord | undefined> {
    const rows = await this.db.query<ApiKeyRecord[]>(`SELECT ${COLUMNS} FROM api_keys WHERE id = $1`, [id]);
    return rows[0];
  }

  async findByName(name: string): Promise<ApiKeyRecord | undefined> {
    const rows = await this.db.query<ApiKeyRecord[]>(`SELECT ${COLUMNS} FROM api_keys WHERE name = $1`, [name]);
    return rows[0];
  }

  list(): Promise<ApiKeyRecord[]> {
    return this.db.query<ApiKeyRecord[]>(`SELECT ${COLUMNS} FROM api_keys ORDER BY name`);
  }

  /** Inserts a new key and answers it once; undefined when the name is taken. */
  async create(
    name: string,
    scopes: string[],
    expiresAt: Date | null,
  ): Promise<{ id: string; key: string } | undefined> {
    const { id, key, hash } = generateApiKey();
    const rows = await this.db.query<unknown[]>(
      `INSERT INTO api_keys (id, name, secret_hash, scopes, expires_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (name) DO NOTHING RETURNING id`,
      [id, name, hash, scopes, expiresAt],
    );
    return rows.length === 1 ? { id, key } : undefined;
  }

  /** Marks the key revoked; false when no unrevoked key has that name. */
  async revoke(name: string): Promise<boolean> {
    const [rows] = await this.db.query<[unknown[], number]>(
      'UPDATE api_keys SET revoked_at = now() WHERE name = $1 AND revoked_at IS NULL RETURNING id',
      [name],
    );
    return rows.length > 0;
  }

  /** Deletes the key of that name if it is `id`, revoked or expired (the development key, when replaced). */
  async removeStale(name: string, id: string | undefined): Promise<void> {
    await this.db.query(
      `DELETE FROM api_keys WHERE name = $1
         AND (id = $2 OR revoked_at IS NOT NULL OR (expires_at IS NOT NULL AND expires_at <= now()))`,
      [name, id ?? null],
    );
  }

  /** Records a use, unless one was recorded in the last `everyMs` (by this or another instance). */
  async touch(id: string, everyMs: number): Promise<void> {
    await this.db.query(
      `UPDATE api_keys SET last_used_at = now()
       WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - make_interval(secs => $2))`,
      [id, everyMs / 1000],
    );
  }
}
