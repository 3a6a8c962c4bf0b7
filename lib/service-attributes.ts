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
 * The id of the request that wrote the record last: a write whose answer was lost finds itself by it. A
 * record that holds a write's values may hold another request's equal ones. It is never answered.
 */
export const WRITE_ATTRIBUTE = `${SERVICE_ATTRIBUTE_PREFIX}write`;

/**
 * The Idempotency-Keys the record was written with lately: one attribute each, named by this prefix and a
 * hash of the caller and key, holding when the write was made and a hash of its body
 * (lib/write/idempotency.ts). They are never answered.
 */
export const KEY_ATTRIBUTE_PREFIX = `${SERVICE_ATTRIBUTE_PREFIX}key_`;

export function versionOf(item: Readonly<Record<string, unknown>>): number {
  const version = item[VERSION_ATTRIBUTE];
  return typeof version === 'number' ? version : 0;
}
