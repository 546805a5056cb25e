/** What an If-Match header accepts: any version ("*") or a list of versions. */
export type EntityTag = '*' | number[];

/** A version column is a PostgreSQL integer. */
const MAX_VERSION = 2_147_483_647;

/**
 * ETags from a version column: any entity whose row carries an integer `version` bumped by every
 * write gets strong validators, If-Match for its writes and If-None-Match for its reads from here.
 */
export interface Versioned {
  version: number;
}

/** A strong validator: the version changes with every write to the entity. */
export function etagOf(entity: Versioned): string {
  return `"${entity.version}"`;
}

/**
 * Parses If-Match / If-None-Match. Weak tags never match under If-Match's strong comparison,
 * and a tag this service did not issue matches nothing; both end as a 412, not a 400.
 */
export function parseEntityTags(header: string | string[] | undefined): EntityTag | undefined {
  if (header === undefined) return undefined;
  const value = Array.isArray(header) ? header.join(',') : header;
  if (value.trim() === '*') return '*';
  const versions: number[] = [];
  for (const part of value.split(',')) {
    // Exactly the form etagOf() writes: "01" is not "1" under strong comparison.
    const match = /^\s*"(0|[1-9]\d{0,9})"\s*$/.exec(part);
    if (match && Number(match[1]) <= MAX_VERSION) versions.push(Number(match[1]));
  }
  return versions;
}

/** If-None-Match uses weak comparison: W/"3" matches "3". */
export function noneMatch(header: string | string[] | undefined, entity: Versioned): boolean {
  if (header === undefined) return true;
  const value = Array.isArray(header) ? header.join(',') : header;
  if (value.trim() === '*') return false;
  return !value.split(',').some((part) => part.trim().replace(/^W\//, '') === etagOf(entity));
}
