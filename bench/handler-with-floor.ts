// The bundle the warm figure is measured with: the deployable handler, plus what the floor needs from the same
// module graph, so that the floor's UpdateItem runs the very SDK code the handler runs (a Lambda process holds
// one copy of the SDK). Built with the deployable bundle's esbuild options; only these three exports differ.
export { UpdateCommand } from '@aws-sdk/lib-dynamodb';
export { handler } from '../handlers/update-learning.ts';
export { createDocumentClient } from '../lib/dynamodb.ts';
export { buildUpdateCommand } from '../lib/learnings-repository.ts';
