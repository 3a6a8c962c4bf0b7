// Validates an answer of the handler against openapi.yaml with Ajv (JSON Schema 2020-12, as OpenAPI 3.1
// uses): the body against the schema of its status code, and the headers the document marks required.
import { readFileSync } from 'node:fs';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { parse } from 'yaml';

interface ResponseObject {
  headers?: Record<string, { required?: boolean; schema?: unknown; $ref?: string }>;
  content?: Record<string, { schema: unknown }>;
}

export const openapi = parse(readFileSync('openapi.yaml', 'utf8')) as {
  paths: Record<string, Record<string, { responses: Record<string, ResponseObject> }>>;
  components: { headers: Record<string, { required?: boolean; schema?: unknown }> };
};
const operation = openapi.paths['/learnings/{learning_id}']?.patch;
if (operation === undefined) throw new Error('openapi.yaml has no PATCH /learnings/{learning_id}');

const ajv = new Ajv2020({ strict: false, allErrors: true });
ajv.addSchema({ ...openapi, $id: 'openapi.json' });
const validators = new Map<string, ValidateFunction>();

function validatorFor(pointer: string): ValidateFunction {
  let validate = validators.get(pointer);
  if (validate === undefined) {
    validate = ajv.compile({ $ref: `openapi.json#${pointer}` });
    validators.set(pointer, validate);
  }
  return validate;
}

/** Throws, naming every mismatch, unless the answer is one openapi.yaml documents. */
export function assertMatchesContract(status: number, headers: Record<string, string>, body: unknown): void {
  const response = operation?.responses[String(status)];
  if (response === undefined) throw new Error(`openapi.yaml documents no ${status} response`);
  const problems: string[] = [];
  const contentType = headers['Content-Type'] ?? headers['content-type'] ?? '';
  if (!contentType.startsWith('application/json')) problems.push(`Content-Type is ${contentType}`);
  // Answers carry users' data: no cache along the way keeps them.
  const cacheControl = headers['Cache-Control'] ?? headers['cache-control'];
  if (cacheControl !== 'no-store') problems.push(`Cache-Control is ${cacheControl}`);
  const bodyValidator = validatorFor(
    `/paths/~1learnings~1%7Blearning_id%7D/patch/responses/${status}/content/application~1json/schema`,
  );
  if (!bodyValidator(body)) problems.push(`body: ${ajv.errorsText(bodyValidator.errors)}`);
  for (const [name, declared] of Object.entries(response.headers ?? {})) {
    const header =
      declared.$ref === undefined ? declared : openapi.components.headers[declared.$ref.split('/').pop() ?? ''];
    const value = headers[name] ?? headers[name.toLowerCase()];
    if (value === undefined) {
      if (header?.required) problems.push(`header ${name} is missing`);
      continue;
    }
    const pointer =
      declared.$ref === undefined
        ? `/paths/~1learnings~1%7Blearning_id%7D/patch/responses/${status}/headers/${name}/schema`
        : `/components/headers/${name}/schema`;
    const headerValidator = validatorFor(pointer);
    if (!headerValidator(value)) problems.push(`header ${name}: ${ajv.errorsText(headerValidator.errors)}`);
  }
  if (problems.length > 0) {
    throw new Error(`${status} answer does not match openapi.yaml: ${problems.join('; ')}\n${JSON.stringify(body)}`);
  }
}
