// Development server for the demo shop: serves demo/dist (unknown paths get index.html, as
// `framewise serve --demo` does) and proxies the API to a running framewise server.
//
//   FRAMEWISE_URL=http://127.0.0.1:8080 node scripts/dev-server.mjs [port]
//
// When the server has no /demo/shoppers (an older binary), FRAMEWISE_DATA_DIR names its data
// directory and the shopper of data/dev-tokens.json is offered instead.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../demo/dist/', import.meta.url));
const upstream = process.env.FRAMEWISE_URL ?? 'http://127.0.0.1:8080';
const port = Number(process.argv[2] ?? 5173);
const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml' };
const api = /^\/(v1|healthz|livez|openapi\.json|demo)(\/|$|\?)/;

async function proxy(req, res) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  const headers = { ...req.headers };
  delete headers.host;
  const answer = await fetch(upstream + req.url, { method: req.method, headers, body: chunks.length ? Buffer.concat(chunks) : undefined });
  if (answer.status === 404 && req.url.startsWith('/demo/shoppers') && process.env.FRAMEWISE_DATA_DIR) {
    const tokens = JSON.parse(await readFile(join(process.env.FRAMEWISE_DATA_DIR, 'dev-tokens.json'), 'utf8'));
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ shoppers: [{ customer_id: tokens.shopper.customer_id, name: 'Demo shopper', token: tokens.shopper.token }], admin_token: tokens.admin.token }));
    return;
  }
  const out = {};
  answer.headers.forEach((v, k) => {
    if (!['content-encoding', 'content-length', 'transfer-encoding', 'connection'].includes(k)) out[k] = v;
  });
  res.writeHead(answer.status, out);
  res.end(Buffer.from(await answer.arrayBuffer()));
}

createServer(async (req, res) => {
  try {
    if (api.test(req.url)) return await proxy(req, res);
    const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    const file = path.startsWith('/assets/') ? join(dist, path) : join(dist, 'index.html');
    const body = await readFile(file).catch(() => null);
    if (!body) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' });
    res.end(body);
  } catch (e) {
    res.writeHead(502, { 'content-type': 'text/plain' }).end(String(e));
  }
}).listen(port, '127.0.0.1', () => console.log(`demo on http://127.0.0.1:${port} (API ${upstream})`));
