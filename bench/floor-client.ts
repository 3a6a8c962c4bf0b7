// The warm floor's client: the document client configured as the handler configures it, and the very
// UpdateItem the handler builds, bundled with the same esbuild options as the deployable handler, so
// that the floor runs the same bundled SDK code and the ratio measures the handler's own cost.
export { UpdateCommand } from '@aws-sdk/lib-dynamodb';
export { createDocumentClient } from '../lib/dynamodb.ts';
export { buildUpdateCommand } from '../lib/learnings-repository.ts';
