// npm run test:browser: a real Chromium (Debian's, through playwright-core) against npm start's stack. The
// API page renders the operation and changes a learning through Swagger UI, whole, by merge patch and by
// JSON Patch (an append); from
// the page's origin a script reads the ETag and sends it back as If-Match; a page on another origin is
// refused by the browser.
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../dev/local-stack.ts';
import { freePort } from '../../dev/ports.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOT = 'test-results/api-page.png';
let stack: LocalStack;
let browser: Browser;
let elsewhere: { url: string; close(): void };

beforeAll(async () => {
  const { DYNAMODB_ENDPOINT: _ignored, CORS_ALLOWED_ORIGINS: _default, ...env } = process.env;
  stack = await startLocalStack({ port: await freePort(), docsPort: await freePort(), env });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  // A page on an origin that is not on the list (127.0.0.1 is not localhost, to a browser).
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>elsewhere</title>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  elsewhere = { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}, 120_000);
afterAll(async () => {
  await browser?.close();
  elsewhere?.close();
  await stack?.stop();
});

it('the API page renders the operation, and Alice changes her learning through it', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
  await page.goto(stack.docsUrl);
  const operation = page.locator('.opblock-patch').first();
  await expect
    .poll(() => operation.locator('.opblock-summary-path').textContent())
    .toContain('/learnings/{learning_id}');
  mkdirSync('test-results', { recursive: true });
  await page.screenshot({ path: SCREENSHOT, fullPage: false });

  await operation.locator('.opblock-summary').click();
  await operation.locator('input[placeholder="learning_id"]').fill('lrn_alice_profile');
  await operation.locator('textarea.body-param__text').fill('{"content":{"name":"Alice","from":"the API page"}}');
  await operation.locator('button.execute').click();
  const status = operation.locator('.live-responses-table tbody .response-col_status').first();
  await expect.poll(() => status.textContent(), { timeout: 15_000 }).toContain('200');
  await expect
    .poll(() => operation.locator('.live-responses-table .microlight').first().textContent())
    .toContain('the API page');

  // The second media type: a merge patch keeps what it does not name.
  await operation.locator('select[aria-label="Request content type"]').selectOption('application/merge-patch+json');
  await operation.locator('textarea.body-param__text').fill('{"content":{"from":null,"merged":{"by":"the API page"}}}');
  await operation.locator('button.execute').click();
  await expect
    .poll(() => operation.locator('.live-responses-table .microlight').first().textContent(), { timeout: 15_000 })
    .toContain('merged');
  const merged = JSON.parse(
    (await operation.locator('.live-responses-table .microlight').first().textContent()) ?? '{}',
  );
  expect(merged.content).toEqual({ name: 'Alice', merged: { by: 'the API page' } });

  // The third media type: a JSON Patch appends a memory to a list the record holds.
  await operation.locator('select[aria-label="Request content type"]').selectOption('application/json-patch+json');
  await operation
    .locator('textarea.body-param__text')
    .fill(
      '[{"op":"add","path":"/content/memories","value":[]},{"op":"add","path":"/content/memories/-","value":{"id":"m1","content":"from the API page"}}]',
    );
  await operation.locator('button.execute').click();
  await expect
    .poll(() => operation.locator('.live-responses-table .microlight').first().textContent(), { timeout: 15_000 })
    .toContain('memories');
  const patched = JSON.parse(
    (await operation.locator('.live-responses-table .microlight').first().textContent()) ?? '{}',
  );
  expect(patched.content).toEqual({
    name: 'Alice',
    merged: { by: 'the API page' },
    memories: [{ id: 'm1', content: 'from the API page' }],
  });
  await page.close();
}, 60_000);

it("from the page's origin a script reads the ETag and sends it back as If-Match: 200, then 412 when stale", async () => {
  const page = await browser.newPage();
  await page.goto(stack.docsUrl);
  const result = await page.evaluate(
    async ({ apiUrl, token }) => {
      const patch = (body: unknown, ifMatch?: string) =>
        fetch(`${apiUrl}/learnings/lrn_alice_profile`, {
          method: 'PATCH',
          headers: {
            Authorization: `Bearer ${token}`,
            'Content-Type': 'application/json',
            ...(ifMatch === undefined ? {} : { 'If-Match': ifMatch }),
          },
          body: JSON.stringify(body),
        });
      const first = await patch({ content: { step: 1 } });
      const tag = first.headers.get('ETag') ?? '';
      const second = await patch({ content: { step: 2 } }, tag);
      const stale = await patch({ content: { step: 3 } }, tag);
      return {
        statuses: [first.status, second.status, stale.status],
        tag,
        current: stale.headers.get('ETag'),
        body: (await stale.json()) as { error_code?: string },
      };
    },
    { apiUrl: stack.apiUrl, token: stack.tokens?.alice ?? '' },
  );
  expect(result.statuses).toEqual([200, 200, 412]);
  expect(result.tag).toMatch(/^"\d+\.[A-Za-z0-9_-]{10}"$/);
  expect(result.current).not.toBe(result.tag);
  expect(result.body.error_code).toBe('PRECONDITION_FAILED');
  await page.close();
}, 60_000);

it('a page on an origin not on the list is refused by the browser itself', async () => {
  const page = await browser.newPage();
  await page.goto(elsewhere.url);
  const outcome = await page.evaluate(
    async ({ apiUrl, token }) => {
      try {
        const answer = await fetch(`${apiUrl}/learnings/lrn_alice_profile`, {
          method: 'PATCH',
          headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
          body: '{"content":{"from":"elsewhere"}}',
        });
        return `answered ${answer.status}`;
      } catch (error) {
        return `refused: ${(error as Error).name}`;
      }
    },
    { apiUrl: stack.apiUrl, token: stack.tokens?.alice ?? '' },
  );
  expect(outcome).toBe('refused: TypeError');
  await page.close();
}, 60_000);
