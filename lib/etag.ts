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
// An opaque tag: etagc (%x21 / %x23-7E / obs-text) between quotes, RFC 9110 §8.8.3. Sticky: it is read
// where the list's position says, never further on.
const OPAQUE_TAG = /"[\x21\x23-\x7e\x80-\xff]*"/y;
const OWS = /[ \t]/;
const OWS_OR_COMMA = /[ \t,]/;

/**
 * The database and table a record lives in, as its entity tags name them: a short hash, so that a tag
 * reveals no table name. lib/tables.ts computes it once per configured table.
 */
export function etagScope(dbId: string | undefined, table: string): string {
  // Every tag handed out holds a hash of this text: changing it would make them all stale.
  return createHash('sha256')
    .update(`${dbId ?? ''}/${table}`)
    .digest('base64url')
    .slice(0, 10);
}

export function entityTag(scope: string, version: number): string {
  return `"${version}.${scope}"`;
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
    preconditions.match = versionsListed(ifMatch, 'If-Match', false, scope);
  }
  if (ifNoneMatch !== undefined) {
    preconditions.noneMatch =
      ifNoneMatch.trim() === '*' ? '*' : versionsListed(ifNoneMatch, 'If-None-Match', true, scope);
  }
  return preconditions;
}

/**
 * The versions of `scope` that the list of entity tags in `header` names, each once; weak tags only when
 * `weakToo`. A malformed list is a 422 whatever its tags name.
 */
function versionsListed(header: string, name: string, weakToo: boolean, scope: string): number[] {
  const invalid = () =>
    new ValidationError(`${name} must be * or a list of entity tags`, [
      { path: `header.${name.toLowerCase()}`, message: 'malformed' },
    ]);
  const versions = new Set<number>();
  let listed = 0;
  let position = 0;
  // charAt past the end is '', which neither pattern matches.
  const skip = (characters: RegExp) => {
    while (characters.test(header.charAt(position))) position++;
  };
  skip(OWS_OR_COMMA);
  while (position < header.length) {
    const weak = header.startsWith('W/', position);
    if (weak) position += 2;
    OPAQUE_TAG.lastIndex = position;
    const tag = OPAQUE_TAG.exec(header)?.[0];
    if (tag === undefined) throw invalid();
    position = OPAQUE_TAG.lastIndex;
    const dot = tag.lastIndexOf('.');
    const version = tag.slice(1, dot);
    if ((!weak || weakToo) && tag.slice(dot + 1, -1) === scope && /^(?:0|[1-9][0-9]{0,14})$/.test(version)) {
      versions.add(Number(version));
    }
    skip(OWS);
    if (position < header.length && header.charAt(position) !== ',') throw invalid();
    skip(OWS_OR_COMMA);
    if (++listed > MAX_TAGS) throw invalid();
  }
  if (listed === 0) throw invalid();
  return [...versions];
}
