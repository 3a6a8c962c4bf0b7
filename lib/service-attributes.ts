// The attributes this service keeps in a learning's item for itself, all named with one prefix so that
// people and other tools can tell them from a learning's own fields. Tables are shared with other tools:
// a common name such as `version` may hold anything, which this service must neither overwrite nor trip over.

export const SERVICE_ATTRIBUTE_PREFIX = 'etag_';

/**
 * The record's version, which its entity tag names. A record written without it, or with it holding
 * anything but a number, is at version 0.
 */
export const VERSION_ATTRIBUTE = `${SERVICE_ATTRIBUTE_PREFIX}version`;

/**
 * The id of the request that merged into the record last. A merge patch is idempotent, so a record that
 * holds a merge's effect does not show which request wrote it: this attribute does. It is never answered.
 */
export const WRITE_ATTRIBUTE = `${SERVICE_ATTRIBUTE_PREFIX}write`;

export function versionOf(item: Readonly<Record<string, unknown>>): number {
  const version = item[VERSION_ATTRIBUTE];
  return typeof version === 'number' ? version : 0;
}
