// The request schemas in isolation: the settings Zod runs with, and the messages of refusals the pipeline
// rarely meets.

import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { parseOrThrow, pathParametersSchema } from '../../lib/schemas.ts';

describe('the request schemas', () => {
  it("run on Zod's generic parser (jitless), which the warm benchmark measured faster than generated code", () => {
    expect(z.config().jitless).toBe(true);
  });

  it('name a learning_id that is missing or not a string as required', () => {
    for (const path of [{}, { learning_id: 7 }, undefined]) {
      expect(() => parseOrThrow(pathParametersSchema, path), JSON.stringify(path)).toThrow(
        expect.objectContaining({
          message: 'learning_id is required',
          errors: [{ path: path === undefined ? '' : 'learning_id', message: 'learning_id is required' }],
        }),
      );
    }
  });
});
