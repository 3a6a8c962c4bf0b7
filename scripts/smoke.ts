// npm run smoke -- <base-url> [--token T] [--learning-id ID] [--origin O]: checks a deployed (or local)
// API from outside, changing nothing: a request without a token is a 401 in the contract's envelope with
// WWW-Authenticate; with --origin, a CORS preflight from it is allowed; with --token, an empty-body PATCH of
// --learning-id (default lrn_smoke) answers 200 with an ETag (an empty body never writes). Exit 1 on a
// failed check. The CI deploy runs it after each stage.
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { token: { type: 'string' }, 'learning-id': { type: 'string' }, origin: { type: 'string' } },
});
const [base] = positionals;
if (base === undefined || !URL.canParse(base)) {
  console.error('usage: npm run smoke -- <base-url> [--token T] [--learning-id ID] [--origin O]');
  process.exit(2);
}
const url = `${base.replace(/\/+$/, '')}/learnings/${encodeURIComponent(values['learning-id'] ?? 'lrn_smoke')}`;
let failed = 0;
const check = (name: string, ok: boolean, detail: string) => {
  console.log(`${ok ? 'ok  ' : 'FAIL'}  ${name}${ok ? '' : `: ${detail}`}`);
  if (!ok) failed++;
};

const anonymous = await fetch(url, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: '{}' });
const anonymousBody = (await anonymous.json().catch(() => ({}))) as Record<string, unknown>;
check(
  '401 without a token, in the envelope, with WWW-Authenticate: Bearer',
  anonymous.status === 401 &&
    anonymousBody.error_code === 'UNAUTHENTICATED' &&
    typeof anonymousBody.detail === 'string' &&
    anonymous.headers.get('www-authenticate') === 'Bearer',
  `${anonymous.status} ${JSON.stringify(anonymousBody)} www-authenticate=${anonymous.headers.get('www-authenticate')}`,
);

if (values.origin !== undefined) {
  const preflight = await fetch(url, {
    method: 'OPTIONS',
    headers: {
      origin: values.origin,
      'access-control-request-method': 'PATCH',
      'access-control-request-headers': 'authorization,content-type,if-match',
    },
  });
  const allowed = preflight.headers.get('access-control-allow-headers')?.toLowerCase() ?? '';
  check(
    `CORS preflight from ${values.origin} allowed, with Authorization and If-Match`,
    preflight.status < 300 &&
      preflight.headers.get('access-control-allow-origin') === values.origin &&
      allowed.includes('authorization') &&
      allowed.includes('if-match'),
    `${preflight.status} allow-origin=${preflight.headers.get('access-control-allow-origin')} allow-headers=${allowed}`,
  );
}

if (values.token !== undefined) {
  const read = await fetch(url, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${values.token}` },
    body: '{}',
  });
  const body = (await read.json().catch(() => ({}))) as Record<string, unknown>;
  check(
    'an empty-body PATCH with the token: 200 with an ETag, nothing written',
    read.status === 200 &&
      /^"\d+\.[\w-]+"$/.test(read.headers.get('etag') ?? '') &&
      typeof body.learning_id === 'string',
    `${read.status} etag=${read.headers.get('etag')} ${JSON.stringify(body).slice(0, 200)}`,
  );
}

console.log(failed === 0 ? 'smoke: all checks passed' : `smoke: ${failed} check(s) failed`);
process.exitCode = failed === 0 ? 0 : 1;
