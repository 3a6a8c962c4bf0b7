// The bundle the warm figure is measured with: the deployable handler, plus what the floor and the fixed
// shape alone (bench/fixed-shape.ts) need from the same module graph, so that every path runs the very SDK
// code the handler runs (a Lambda process holds one copy of the SDK). Built with the deployable bundle's
// esbuild options; only these exports differ.
export { UpdateCommand } from '@aws-sdk/lib-dynamodb';
export { handler } from '../handlers/update-learning.ts';
export { createDocumentClient } from '../lib/dynamodb.ts';
export { parseJsonPatch } from '../lib/json-patch.ts';
export { idempotencyKey } from '../lib/write/idempotency.ts';
export { jsonPatchPaths } from '../lib/write/json-patch.ts';
export { mergePaths } from '../lib/write/merge-patch.ts';
export { updateCommands } from '../lib/write/update-command.ts';
export { setWholeValues } from '../lib/write/whole-replace.ts';
export { fixedShapeHandler } from './fixed-shape.ts';
