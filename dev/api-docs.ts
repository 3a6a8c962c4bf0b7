// The API page of `npm start`: Swagger UI (from the swagger-ui-dist package: nothing from a CDN, works
// offline) rendering openapi.yaml, on its own origin, with the API's local URL as its server and the demo
// tokens ready, so that a newcomer can change a learning from the browser. A development aid only:
// nothing of it is deployed.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { listen } from './ports.ts';

export interface ApiDocs {
  url: string;
  close(): Promise<void>;
}

const SWAGGER_UI = join('node_modules', 'swagger-ui-dist');
const ASSETS: Record<string, string> = {
  '/swagger-ui.css': 'text/css',
  '/swagger-ui-bundle.js': 'text/javascript',
  '/swagger-ui-standalone-preset.js': 'text/javascript',
};

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

function page(tokens: Record<string, string>): string {
  const rows = Object.entries(tokens)
    .map(
      ([name, token]) =>
        `<tr><th>${escapeHtml(name)}</th><td><code class="token" data-user="${escapeHtml(name)}">${escapeHtml(token)}</code></td></tr>`,
    )
    .join('');
  const first = Object.values(tokens)[0] ?? '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Update Learning — API</title>
<link rel="stylesheet" href="/swagger-ui.css">
<style>
  body { margin: 0; font-family: sans-serif; }
  #tokens { padding: 12px 20px; background: #f4f6f8; border-bottom: 1px solid #d8dde3; font-size: 13px; }
  #tokens table { border-collapse: collapse; }
  #tokens th { text-align: left; padding-right: 12px; }
  #tokens code { word-break: break-all; }
</style>
</head>
<body>
<div id="tokens">
  <p>Local demo tokens (development secret, 1 hour). Alice's is already filled in under <b>Authorize</b>;
  paste another there to act as someone else. Try <code>lrn_alice_profile</code> (Alice's),
  <code>lrn_bob_memory</code> (Bob's) or <code>lrn_shared_entity</code> (no owner: admins only).</p>
  <table>${rows}</table>
</div>
<div id="swagger-ui"></div>
<script src="/swagger-ui-bundle.js"></script>
<script src="/swagger-ui-standalone-preset.js"></script>
<script>
  window.ui = SwaggerUIBundle({
    url: '/openapi.yaml',
    dom_id: '#swagger-ui',
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: 'BaseLayout',
    tryItOutEnabled: true,
    persistAuthorization: false,
    onComplete: () => window.ui.preauthorizeApiKey('HTTPBearer', ${JSON.stringify(first)}),
  });
</script>
</body>
</html>`;
}

/** Serves the page on 127.0.0.1:`port`; the document's server is `apiUrl`; `tokens` by user name. */
export async function startApiDocs(apiUrl: string, tokens: Record<string, string>, port = 0): Promise<ApiDocs> {
  const document = parse(readFileSync('openapi.yaml', 'utf8')) as Record<string, unknown>;
  document.servers = [{ url: apiUrl, description: 'npm start' }];
  const openapi = stringify(document);
  const html = page(tokens);
  const server = createServer((incoming, outgoing) => {
    const path = new URL(incoming.url ?? '/', 'http://localhost').pathname;
    const asset = ASSETS[path];
    if (path === '/' || path === '/index.html') {
      outgoing.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
    } else if (path === '/openapi.yaml') {
      outgoing.writeHead(200, { 'content-type': 'application/yaml; charset=utf-8' }).end(openapi);
    } else if (asset !== undefined) {
      outgoing.writeHead(200, { 'content-type': asset }).end(readFileSync(join(SWAGGER_UI, path)));
    } else {
      outgoing.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    }
  });
  await listen(server, port, 'DOCS_PORT');
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://localhost:${bound}`,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
