// The kinds of request the soak's clients send. For each request the first writer here that takes its target
// sends it, so `whole`, which takes any, comes last. Adding one: a module beside these, exporting a Writer
// (writer.ts), and its entry here; an invariant it calls for goes in ../invariants/.
import { jsonPatch } from './json-patch.ts';
import { merge } from './merge.ts';
import { read } from './read.ts';
import { whole } from './whole.ts';
import type { Writer } from './writer.ts';

export const WRITERS: readonly Writer[] = [read, jsonPatch, merge, whole];
