// Optimistic concurrency: a strong entity tag per stored version of a learning, and the If-Match and
// If-None-Match headers that make a write conditional on it. A tag names the database and table it came from, so that a tag
// of one table never matches a record of another.
import { createHash } from 'node:crypto';
import { ValidationError } from './errors.ts';

/**
 * What If-Match and If-None-Match ask for, as versions of this scope. `undefined` when neither is sent (or
 * If-Match is `*`: the record must exist, which every write requires anyway).
 */
export interface Preconditions {
  /** If-Match: the record must be at one of these versions (an empty list: no tag of this scope, never met). */
  match?: readonly number[];
  /** If-None-Match: the record must be at none of these versions; `*`: it must not exist, never met by a PATCH. */
  noneMatch?: readonly number[] | '*';
}

const MAX_TAGS = 16;
const scopeHashes = new Map<string, string>();

/** The database and table a record lives in, as one key. */
export function etagScope(dbId: string | undefined, table: string): string {
  // Stryker disable next-line LogicalOperator,StringLiteral: equivalent, any fixed text names the default database
  return `${dbId ?? ''}/${table}`;
}

function scopeHash(scope: string): string {
  let hash = scopeHashes.get(scope);
  // Stryker disable next-line ConditionalExpression: speed only, the hash is the same computed again
  if (hash === undefined) {
    hash = createHash('sha256').update(scope).digest('base64url').slice(0, 10);
    // Scopes come from the configured allow-list only, so this map stays as small as the configuration.
    // Stryker disable next-line CallExpression: speed only
    scopeHashes.set(scope, hash);
  }
  return hash;
}

export function entityTag(scope: string, version: number): string {
  return `"${version}.${scopeHash(scope)}"`;
}

/** Whether a record at `version` meets the preconditions. */
export function preconditionsHold(preconditions: Preconditions | undefined, version: number): boolean {
  if (preconditions === undefined) return true;
  const { match, noneMatch } = preconditions;
  if (match !== undefined && !match.includes(version)) return false;
  return noneMatch === undefined || (noneMatch !== '*' && !noneMatch.includes(version));
}

/**
 * Reads If-Match and If-None-Match (RFC 9110 §13.1.1–2): `*`, or a comma-separated list of entity tags.
 * Tags of another scope or form are valid but never name a version. If-Match compares strongly (a weak tag
 * never matches); If-None-Match weakly.
 */
export function parsePreconditions(
  ifMatch: string | undefined,
  ifNoneMatch: string | undefined,
  scope: string,
): Preconditions | undefined {
  if (ifNoneMatch === undefined && (ifMatch === undefined || ifMatch.trim() === '*')) return undefined;
  const preconditions: { match?: number[]; noneMatch?: number[] | '*' } = {};
  if (ifMatch !== undefined && ifMatch.trim() !== '*') {
    preconditions.match = versionsNamed(entityTagList(ifMatch, 'If-Match', false), scope);
  }
  if (ifNoneMatch !== undefined) {
    preconditions.noneMatch =
      ifNoneMatch.trim() === '*' ? '*' : versionsNamed(entityTagList(ifNoneMatch, 'If-None-Match', true), scope);
  }
  return preconditions;
}

function versionsNamed(tags: readonly string[], scope: string): number[] {
  const hash = scopeHash(scope);
  const versions: number[] = [];
  for (const tag of tags) {
    const dot = tag.lastIndexOf('.');
    const version = tag.slice(1, dot);
    if (tag.slice(dot + 1, -1) === hash && /^(?:0|[1-9][0-9]{0,14})$/.test(version)) versions.push(Number(version));
  }
  return [...new Set(versions)];
}

/** The opaque tags of a list, quotes included; weak ones only when `weakToo`. */
function entityTagList(header: string, name: string, weakToo: boolean): string[] {
  const invalid = () =>
    new ValidationError(`${name} must be * or a list of entity tags`, [
      { path: `header.${name.toLowerCase()}`, message: 'malformed' },
    ]);
  // Stryker disable next-line ArrayDeclaration: equivalent, a made-up tag names no version of any scope
  const tags: string[] = [];
  let listed = 0;
  let position = 0;
  const skip = (characters: string) => {
    // Stryker disable next-line EqualityOperator: equivalent, one step past the end leaves the list's loop all the same
    while (position < header.length && characters.includes(header.charAt(position))) position++;
  };
  skip(' \t,');
  while (position < header.length) {
    const weak = header.startsWith('W/', position);
    if (weak) position += 2;
    // From here to the next quote: a tag only if it starts with a quote too (a missing one leaves no match).
    const end = header.indexOf('"', position + 1);
    const tag = header.slice(position, end + 1);
    // etagc: %x21 / %x23-7E / obs-text. The slice ends at its only quote after the first, so the anchors
    // cannot change the outcome.
    // Stryker disable next-line Regex: equivalent, as above
    if (!/^"[\x21\x23-\x7e\x80-\xff]*"$/.test(tag)) throw invalid();
    if (!weak || weakToo) tags.push(tag);
    position = end + 1;
    skip(' \t');
    if (position < header.length && header.charAt(position) !== ',') throw invalid();
    skip(' \t,');
    if (++listed > MAX_TAGS) throw invalid();
  }
  if (listed === 0) throw invalid();
  return tags;
}
