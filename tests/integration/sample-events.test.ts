// The sample events in events/ (for `sls invoke local`) do what their names say against the demo data.
import { readdirSync, readFileSync } from 'node:fs';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DEMO_LEARNINGS } from '../../dev/demo-data.ts';
import { type Harness, startHarness } from '../support/harness.ts';

const EXPECTED_STATUS: Record<string, number> = {
  'owner-update': 200,
  'admin-update': 200,
  'foreign-record': 404,
  'no-owner-record': 403,
  'bad-body': 422,
  'missing-token': 401,
};

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
  for (const learning of DEMO_LEARNINGS) await harness.put({ ...learning });
});
afterAll(() => harness.close());

it('every sample event is covered here', () => {
  const names = readdirSync('events').map((file) => file.replace(/\.json$/, ''));
  expect(names.sort()).toEqual(Object.keys(EXPECTED_STATUS).sort());
});

it.each(Object.entries(EXPECTED_STATUS))('events/%s.json answers %i', async (name, status) => {
  const event = JSON.parse(readFileSync(`events/${name}.json`, 'utf8')) as APIGatewayProxyEventV2;
  expect((await harness.invokeEvent(event)).status).toBe(status);
});
