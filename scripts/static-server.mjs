// A static file server for the checks in Chromium, as a web host or a CDN would serve a build.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.onnx': 'application/octet-stream',
  '.bin': 'application/octet-stream',
};

/** The content type a web host sends for `file`. */
export function contentType(file) {
  return TYPES[extname(file)] ?? 'application/octet-stream';
}

/**
 * Serves `routes` (URL prefix -> folder; a folder alone is served at `/`). `headers` go on every
 * response (a CSP, COOP/COEP, CORS for a CDN). `hostname` names the origin: `localhost` is a
 * secure context (WebGPU, cross-origin isolation); `127.0.0.1` is another origin beside it.
 */
export async function serve(routes, { headers = {}, hostname = 'localhost' } = {}) {
  const table = Object.entries(typeof routes === 'string' ? { '/': routes } : routes);
  const server = createServer(async (request, response) => {
    const path = decodeURIComponent(new URL(request.url, 'http://localhost').pathname);
    const [prefix, dir] = table.find(([candidate]) => path.startsWith(candidate)) ?? [];
    if (!dir) {
      response.writeHead(404, headers).end();
      return;
    }
    let file = resolve(dir, `.${path.slice(prefix.length - 1)}`);
    if (file !== dir && !file.startsWith(dir + sep)) {
      response.writeHead(403, headers).end();
      return;
    }
    try {
      if ((await stat(file)).isDirectory()) file = join(file, 'index.html');
      await stat(file);
    } catch {
      response.writeHead(404, headers).end();
      return;
    }
    response.writeHead(200, {
      ...headers,
      'content-type': contentType(file),
    });
    createReadStream(file).pipe(response);
  });
  await new Promise((done) => server.listen(0, '127.0.0.1', done));
  return { server, origin: `http://${hostname}:${server.address().port}` };
}
