// Optimistic concurrency: a strong entity tag per stored version of a learning, and the If-Match header
// that makes a write conditional on it. A tag names the database and table it came from, so that a tag
// of one table never matches a record of another.
import { createHash } from 'node:crypto';
import { ValidationError } from './errors.ts';

/** What If-Match asks for: undefined when absent or `*` (the record must exist, which every write requires). */
export type Precondition = { versions: number[] } | undefined;

const MAX_TAGS = 16;
const scopeHashes = new Map<string, string>();

/** The database and table a record lives in, as one key. */
export function etagScope(dbId: string | undefined, table: string): string {
  return `${dbId ?? ''}/${table}`;
}

function scopeHash(scope: string): string {
  let hash = scopeHashes.get(scope);
  if (hash === undefined) {
    hash = createHash('sha256').update(scope).digest('base64url').slice(0, 10);
    // Scopes come from the configured allow-list only, so this map stays as small as the configuration.
    scopeHashes.set(scope, hash);
  }
  return hash;
}

/** Records written without a version attribute are at version 0. */
export function versionOf(item: Readonly<Record<string, unknown>>): number {
  return typeof item.version === 'number' ? item.version : 0;
}

export function entityTag(scope: string, version: number): string {
  return `"${version}.${scopeHash(scope)}"`;
}

/**
 * Parses If-Match (RFC 9110 §13.1.1): `*`, or a comma-separated list of entity tags. Tags of another
 * scope or form, and weak tags (If-Match compares strongly), are valid but never match.
 */
export function parseIfMatch(header: string | undefined, scope: string): Precondition {
  if (header === undefined || header.trim() === '*') return undefined;
  const hash = scopeHash(scope);
  const versions: number[] = [];
  for (const tag of entityTagList(header)) {
    const dot = tag.lastIndexOf('.');
    const version = tag.slice(1, dot);
    if (tag.slice(dot + 1, -1) === hash && /^(?:0|[1-9][0-9]{0,14})$/.test(version)) versions.push(Number(version));
  }
  return { versions: [...new Set(versions)] };
}

function entityTagList(header: string): string[] {
  const invalid = () =>
    new ValidationError('If-Match must be * or a list of entity tags', [
      { path: 'header.if-match', message: 'malformed' },
    ]);
  const tags: string[] = [];
  let position = 0;
  const skip = (characters: string) => {
    while (position < header.length && characters.includes(header.charAt(position))) position++;
  };
  skip(' \t,');
  while (position < header.length) {
    const weak = header.startsWith('W/', position);
    if (weak) position += 2;
    if (header.charAt(position) !== '"') throw invalid();
    const end = header.indexOf('"', position + 1);
    if (end === -1) throw invalid();
    const tag = header.slice(position, end + 1);
    // etagc: %x21 / %x23-7E / obs-text
    if (!/^"[\x21\x23-\x7e\x80-\xff]*"$/.test(tag)) throw invalid();
    if (!weak) tags.push(tag);
    position = end + 1;
    skip(' \t');
    if (position < header.length && header.charAt(position) !== ',') throw invalid();
    skip(' \t,');
    if (tags.length > MAX_TAGS) throw invalid();
  }
  if (tags.length === 0 && !/W\//.test(header)) throw invalid();
  return tags;
}
