// The packages as a user gets them (issue 15). In a scratch copy of the workspace: `changeset
// version`, `npm pack` of each published package, the tarballs installed into a fresh project
// outside the workspace, and then, each in Debian's Chromium against plain static files:
//   - a page built by Vite, and one by webpack 5, with nothing genviz-specific in their config;
//   - no build step: a plain HTML file importing the elements from a CDN-style folder
//     (/npm/@genviz/elements@<version>/...) on another origin, through an import map;
//   - a React 19 app using the elements with typed properties and events (type-checked by tsc);
//   - a strict Content-Security-Policy ('self' and 'wasm-unsafe-eval', nothing else).
// Each must produce a digit with <genviz-diffusion-stepper> and a decoded image with
// <genviz-latent-explorer>. It also checks the packed package.json files (no workspace or file
// links), the weight targets (@genviz/models packs to 25 MB at most; a WASM-only page never
// fetches the WebGPU .wasm) and prints the packed and installed size of each package.
// Run after `turbo run build`; part of `npm test`. GENVIZ_KEEP_SCRATCH=1 keeps the scratch folder.
import { execFileSync } from 'node:child_process';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import {
  cp,
  link,
  mkdir,
  mkdtemp,
  readFile,
  readdir,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';
import { chromium } from 'playwright';
import { contentType, serve } from './static-server.mjs';

const root = resolve(import.meta.dirname, '..');
const fixtures = join(import.meta.dirname, 'fixtures/installs');
const chromiumPath = process.env.GENVIZ_CHROMIUM ?? '/usr/bin/chromium';
const timeoutMs = 120_000;
const MODELS_PACKED_LIMIT = 25_000_000;
const published = ['core', 'runtime', 'models', 'elements'];

let failures = 0;
const fail = (message) => {
  failures += 1;
  console.error(`  ✗ ${message}`);
};
const pass = (message) => console.log(`  ✓ ${message}`);
const mb = (bytes) => `${(bytes / 1e6).toFixed(2)} MB`;
const run = (command, args, options = {}) =>
  execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...options });

// ---------------------------------------------------------------------------------------------
// 1. A scratch workspace: real copies of every manifest (changeset version rewrites them), hard
//    links for the big build outputs that nothing writes to.

async function copyTree(from, to, { hardLink = false } = {}) {
  await mkdir(to, { recursive: true });
  for (const entry of await readdir(from, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === '.turbo') continue;
    const source = join(from, entry.name);
    const target = join(to, entry.name);
    if (entry.isDirectory()) {
      await copyTree(source, target, { hardLink: hardLink || entry.name === 'assets' });
    } else if (hardLink) {
      await link(source, target);
    } else {
      await cp(source, target);
    }
  }
}

async function scratchWorkspace(scratch) {
  const workspace = join(scratch, 'workspace');
  const rootManifest = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));
  await mkdir(workspace, { recursive: true });
  await cp(join(root, 'package.json'), join(workspace, 'package.json'));
  await cp(join(root, '.changeset'), join(workspace, '.changeset'), { recursive: true });
  for (const dir of rootManifest.workspaces) {
    const name = dir.split('/').pop();
    if (dir.startsWith('packages/') && published.includes(name)) {
      await copyTree(join(root, dir), join(workspace, dir));
    } else {
      await mkdir(join(workspace, dir), { recursive: true });
      await cp(join(root, dir, 'package.json'), join(workspace, dir, 'package.json'));
    }
  }
  // changesets finds the workspace's packages through node_modules' bin only; git is not needed.
  run(join(root, 'node_modules/.bin/changeset'), ['version'], { cwd: workspace });
  return workspace;
}

async function packAll(workspace, scratch) {
  const tarballs = join(scratch, 'tarballs');
  await mkdir(tarballs);
  const packs = {};
  for (const name of published) {
    const [packed] = JSON.parse(
      run('npm', ['pack', '--json', '--pack-destination', tarballs], {
        cwd: join(workspace, 'packages', name),
      }),
    );
    packs[name] = { ...packed, tarball: join(tarballs, packed.filename) };
  }
  return packs;
}

/** No workspace, file or link reference, and every @genviz dependency at the version packed. */
async function checkPackedManifests(packs, installed) {
  const versions = Object.fromEntries(
    Object.values(packs).map((packed) => [packed.name, packed.version]),
  );
  const before = failures;
  for (const packed of Object.values(packs)) {
    const manifest = JSON.parse(
      await readFile(join(installed, packed.name, 'package.json'), 'utf8'),
    );
    const problems = [];
    for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
      for (const [dependency, range] of Object.entries(manifest[field] ?? {})) {
        if (/^(workspace|file|link|portal|git\+file):/.test(range) || range.startsWith('.'))
          problems.push(`${field}.${dependency} is "${range}"`);
        if (
          versions[dependency] &&
          range !== versions[dependency] &&
          range !== `^${versions[dependency]}`
        )
          problems.push(
            `${field}.${dependency} is "${range}", not the packed ${versions[dependency]}`,
          );
      }
    }
    if (problems.length > 0) fail(`${packed.name}@${packed.version}: ${problems.join('; ')}`);
  }
  if (failures === before)
    pass(
      `packed package.json files: no workspace or file links, versions ${JSON.stringify(versions)}`,
    );
}

// ---------------------------------------------------------------------------------------------
// 2. The fresh project: the tarballs unpacked into node_modules as npm would, and every
//    third-party package they (or the app's tools) declare linked from this repository's
//    node_modules, so the check runs offline and in seconds. Only declared dependencies are
//    linked: a package that forgot one fails to build here as it would for a user.

async function freshProject(scratch, packs) {
  const app = join(scratch, 'app');
  const modules = join(app, 'node_modules');
  await mkdir(join(modules, '@genviz'), { recursive: true });
  const thirdParty = new Set([
    'vite',
    'webpack',
    'webpack-cli',
    'html-webpack-plugin',
    'react',
    'react-dom',
    '@types/react',
    '@types/react-dom',
    '@vitejs/plugin-react',
    'typescript',
  ]);
  for (const packed of Object.values(packs)) {
    const target = join(modules, packed.name);
    await mkdir(target, { recursive: true });
    run('tar', ['-xzf', packed.tarball, '-C', target, '--strip-components=1']);
    const manifest = JSON.parse(await readFile(join(target, 'package.json'), 'utf8'));
    for (const dependency of Object.keys(manifest.dependencies ?? {}))
      if (!dependency.startsWith('@genviz/')) thirdParty.add(dependency);
  }
  for (const name of thirdParty) {
    const source = join(root, 'node_modules', name);
    if (!existsSync(source)) {
      fail(`${name} is needed by the fresh project but not installed in this repository`);
      continue;
    }
    await mkdir(dirname(join(modules, name)), { recursive: true });
    await symlink(source, join(modules, name), 'dir');
  }
  await cp(fixtures, app, { recursive: true });
  return app;
}

/**
 * The packed @genviz/models ships what docs/decisions/0007 says: every network in fp32 only (or,
 * where its manifest prefers int8 on WASM, in int8 only), the training snapshots in int8 only (the
 * last names the final networks' files; a discriminator whose int8 failed verify ships fp32),
 * every file a manifest lists and no file it does not.
 */
async function checkShippedVariants(assets) {
  const before = failures;
  for (const model of await readdir(assets)) {
    const manifest = JSON.parse(await readFile(join(assets, model, 'manifest.json'), 'utf8'));
    const listed = new Set(Object.values(manifest.data ?? {}).map((entry) => entry.file));
    for (const [name, network] of Object.entries(manifest.networks ?? {})) {
      const dtypes = network.variants.map((variant) => variant.dtype);
      const shipped = manifest.preferredDtypes?.wasm ?? 'fp32';
      if (dtypes.join() !== shipped)
        fail(`${model} ${name} ships ${dtypes.join(', ')}, not ${shipped} only`);
      for (const variant of network.variants) listed.add(variant.file);
    }
    // A snapshot ships int8 only; one that names its network's own files (the last: the final
    // weights) ships the network's fp32 file; a discriminator snapshot whose int8 file failed
    // verify ships fp32 alone.
    const networkFiles = new Set(
      Object.values(manifest.networks ?? {}).flatMap((network) =>
        network.variants.map((v) => v.file),
      ),
    );
    for (const snapshot of manifest.snapshots ?? []) {
      for (const [what, variants, fp32Allowed] of [
        ['snapshot', snapshot.variants, false],
        ['discriminator snapshot', snapshot.discriminatorVariants ?? [], true],
      ]) {
        if (what !== 'snapshot' && variants.length === 0) continue;
        const dtypes = variants.map((variant) => variant.dtype).join();
        const shared = variants.length === 1 && networkFiles.has(variants[0].file);
        if (dtypes !== 'int8' && !shared && !(fp32Allowed && dtypes === 'fp32'))
          fail(`${model} ${what} ${snapshot.index} ships ${dtypes}, not int8 only`);
        for (const variant of variants) listed.add(variant.file);
      }
    }
    const files = (await readdir(join(assets, model))).filter((file) => file !== 'manifest.json');
    for (const file of files)
      if (!listed.has(file)) fail(`${model}/${file} is shipped but no manifest lists it`);
    for (const file of listed)
      if (!files.includes(file)) fail(`${model}/${file} is listed but not shipped`);
  }
  if (failures === before)
    pass(
      '@genviz/models ships fp32 networks (int8 where preferred on WASM) and int8 training snapshots, every file listed',
    );
}

async function installedSize(dir) {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    total += entry.isDirectory() ? await installedSize(path) : (await stat(path)).size;
  }
  return total;
}

// ---------------------------------------------------------------------------------------------
// 3. Static servers and the checks in Chromium.

/**
 * Opens `url` and waits until the stepper (play pressed) fired `genviz-complete` with a reading
 * and the explorer shows a decoded image and its nearest class; with `duel`, also until
 * <genviz-gan-duel> shows a round. Returns what the page fetched, by kind.
 */
async function elementsWork(browser, url, { duel = false, history = false } = {}) {
  const page = await browser.newPage();
  const problems = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource'))
      problems.push(`console error: ${message.text()}`);
  });
  const fetched = [];
  page.on('response', (response) => {
    if (response.status() >= 400 && !response.url().endsWith('/favicon.ico'))
      problems.push(`HTTP ${response.status()} for ${response.url()}`);
  });
  page.on('requestfinished', async (request) => {
    const sizes = await request.sizes().catch(() => undefined);
    fetched.push({ url: request.url(), bytes: sizes?.responseBodySize ?? 0 });
  });
  await page.addInitScript(() => {
    globalThis.__genvizEvents = [];
    for (const type of ['genviz-complete', 'genviz-error', 'genviz-round']) {
      globalThis.document.addEventListener(type, (event) =>
        globalThis.__genvizEvents.push({
          type,
          tag: event.target?.localName,
          digit: event.reading?.digit,
          device: event.result?.device?.device,
          reason: event.result?.device?.reason,
          message: event.message,
        }),
      );
    }
  });
  try {
    await page.goto(url);
    const stepper = page.locator('genviz-diffusion-stepper').first();
    await stepper.locator('[part~="play-button"]').click({ timeout: timeoutMs });
    await page.waitForFunction(
      (duel) => {
        const events = globalThis.__genvizEvents;
        if (events.some((event) => event.type === 'genviz-error')) return true;
        const explorer = globalThis.document.querySelector('genviz-latent-explorer');
        return (
          events.some((event) => event.type === 'genviz-complete') &&
          explorer?.decoded?.length === 784 &&
          explorer.nearestClass !== null &&
          // Every duel dealt its round, or (history) shows its snapshot.
          (!duel ||
            [...globalThis.document.querySelectorAll('genviz-gan-duel')].every(
              (element) => element.round !== undefined || element.shownSnapshot !== undefined,
            )) &&
          // The React app shows the digit its own ongenviz-complete handler received.
          globalThis.document.querySelector('#reading')?.textContent !== ''
        );
      },
      duel,
      { timeout: timeoutMs },
    );
    const state = await page.evaluate(() => {
      const explorer = globalThis.document.querySelector('genviz-latent-explorer');
      const decoded = explorer.decoded;
      return {
        reactReading: globalThis.document.querySelector('#reading')?.textContent,
        events: globalThis.__genvizEvents,
        nearestClass: explorer.nearestClass,
        inked: decoded.filter((value) => value > 0.5).length,
      };
    });
    const errors = state.events.filter((event) => event.type === 'genviz-error');
    for (const error of errors) problems.push(`genviz-error from <${error.tag}>: ${error.message}`);
    const complete = state.events.find((event) => event.type === 'genviz-complete');
    if (complete && !(complete.digit >= 0 && complete.digit <= 9))
      problems.push(`the stepper completed without a reading: ${JSON.stringify(complete)}`);
    if (state.reactReading !== undefined && state.reactReading !== String(complete?.digit))
      problems.push(
        `React's ongenviz-complete handler showed "${state.reactReading}", the event said ${complete?.digit}`,
      );
    if (state.inked < 20)
      problems.push(`the explorer's decoded image is blank (${state.inked} inked pixels)`);
    if (history) {
      const shown = await page.evaluate(() =>
        [...globalThis.document.querySelectorAll('genviz-gan-duel[mode="history"]')].map(
          (element) => element.shownSnapshot?.index,
        ),
      );
      if (shown.some((index) => index !== 0)) problems.push(`the history shows snapshots ${shown}`);
    }
    // The elements' own animation worker (gifenc, mediabunny) starts from this build too: the
    // stepper's Save GIF button gives a GIF of its trajectory, and, with WebCodecs, a WebM.
    await page.evaluate(() => {
      const stepper = globalThis.document.querySelector('genviz-diffusion-stepper');
      globalThis.__genvizSaved = new Promise((resolve) =>
        stepper.addEventListener(
          'genviz-save',
          async (event) => {
            const bytes = new Uint8Array(await event.blob.arrayBuffer());
            resolve({
              fileName: event.fileName,
              type: event.blob.type,
              head: String.fromCharCode(...bytes.subarray(0, 6)),
            });
          },
          { once: true },
        ),
      );
    });
    await stepper.locator('[part~="save-gif-button"]').click({ timeout: timeoutMs });
    const gif = await Promise.race([
      page.evaluate(() => globalThis.__genvizSaved),
      page
        .waitForFunction(
          () => globalThis.__genvizEvents.some((event) => event.type === 'genviz-error'),
          undefined,
          { timeout: timeoutMs },
        )
        .then(
          () => ({ error: 'Save GIF reported an error' }),
          () => ({ error: `Save GIF gave no file in ${timeoutMs / 1000} s` }),
        ),
    ]);
    if (gif.type !== 'image/gif' || gif.head !== 'GIF89a') {
      problems.push(`Save GIF gave ${JSON.stringify(gif)}`);
      const events = await page.evaluate(() => globalThis.__genvizEvents);
      for (const event of events.filter(({ type }) => type === 'genviz-error'))
        problems.push(`genviz-error from <${event.tag}>: ${event.message}`);
    }
    const webm = await page.evaluate(async () => {
      if (typeof VideoEncoder === 'undefined') return 'no WebCodecs';
      const stepper = globalThis.document.querySelector('genviz-diffusion-stepper');
      const blob = await stepper.saveAnimation('webm');
      const bytes = new Uint8Array(await blob.arrayBuffer());
      // An EBML header (1A 45 DF A3) opens every WebM file.
      return blob.type === 'video/webm' && bytes[0] === 0x1a && bytes[3] === 0xa3
        ? 'ok'
        : `${blob.type}, ${blob.size} bytes`;
    });
    if (webm !== 'ok' && webm !== 'no WebCodecs')
      problems.push(`saveAnimation('webm') gave ${webm}`);
    state.animation = `GIF${webm === 'ok' ? ' and WebM' : ` (${webm})`}`;
    const wasm = fetched
      .map(({ url }) => new URL(url).pathname.split('/').pop())
      .filter((name) => name.endsWith('.wasm'));
    if (complete?.device === 'wasm' && wasm.some((name) => name.includes('jsep')))
      problems.push(`a WASM-only page fetched the WebGPU build: ${wasm.join(', ')}`);
    return { problems, complete, state, fetched };
  } catch (error) {
    problems.push(error.message.split('\n')[0]);
    const events = await page.evaluate(() => globalThis.__genvizEvents).catch(() => []);
    problems.push(`events so far: ${JSON.stringify(events)}`);
    return { problems, fetched };
  } finally {
    await page.close();
  }
}

function byKind(fetched) {
  const kinds = { js: 0, wasm: 0, models: 0, other: 0 };
  for (const { url, bytes } of fetched) {
    const path = new URL(url).pathname;
    if (/\.m?js$/.test(path)) kinds.js += bytes;
    else if (path.endsWith('.wasm')) kinds.wasm += bytes;
    else if (/\.(onnx|bin)$/.test(path) || /manifest[^/]*\.json$/.test(path)) kinds.models += bytes;
    else kinds.other += bytes;
  }
  return kinds;
}

async function proof(browser, name, routes, path, options = {}) {
  const { server, origin } = await serve(routes, {
    headers: options.headers,
    hostname: '127.0.0.1',
  });
  try {
    const started = performance.now();
    const url = `${origin}${path}`;
    const { problems, complete, state, fetched } = await elementsWork(browser, url, options);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    if (problems.length > 0) {
      fail(`${name}:`);
      for (const problem of problems) console.error(`      ${problem}`);
      return;
    }
    const kinds = byKind(fetched);
    pass(
      `${name}: the stepper read a ${complete.digit} on ${complete.device}, the explorer decoded a digit near class ${state.nearestClass}${options.duel ? ', the GAN duel dealt a round' : ''}${options.history ? ', the history showed snapshot 0 (int8)' : ''}, saved the trajectory as ${state.animation} (${seconds} s; fetched JS ${mb(kinds.js)}, WASM ${mb(kinds.wasm)}, models ${mb(kinds.models)})`,
    );
  } finally {
    server.close();
  }
}

// ---------------------------------------------------------------------------------------------
// 4. No build step. A CDN serves each published file at /npm/<name>@<version>/<path>, with the
//    bare imports in JavaScript rewritten to absolute CDN URLs of the dependency's entry, file by
//    file (what esm.sh does, and jsDelivr's +esm does for dependencies), so that every module
//    keeps its own URL: the runtime finds worker.js and @genviz/models its assets next to
//    themselves. An import map is not enough: a module worker does not see the page's import
//    map, and the runtime's worker imports comlink, @genviz/core and onnxruntime-web. A bundle
//    per package (jsDelivr's +esm) is not either: it moves import.meta.url (docs/decisions/0007).

const CONDITIONS = ['browser', 'import', 'module', 'default'];

function pickTarget(target) {
  if (typeof target === 'string') return target;
  if (Array.isArray(target)) return target.map(pickTarget).find(Boolean);
  if (target && typeof target === 'object') {
    for (const [condition, value] of Object.entries(target))
      if (CONDITIONS.includes(condition)) {
        const picked = pickTarget(value);
        if (picked) return picked;
      }
  }
  return undefined;
}

/** The file a bare specifier names in a package (its `exports`, else `module` / `main`). */
function resolveInPackage(manifest, subpath) {
  const { exports } = manifest;
  if (exports === undefined) {
    if (subpath !== '.') return subpath;
    return manifest.module ?? manifest.main ?? './index.js';
  }
  const map =
    typeof exports === 'string' ||
    Array.isArray(exports) ||
    !Object.keys(exports).some((key) => key.startsWith('.'))
      ? { '.': exports }
      : exports;
  if (map[subpath] !== undefined) return pickTarget(map[subpath]);
  for (const [key, value] of Object.entries(map)) {
    const star = key.indexOf('*');
    if (star < 0) continue;
    const [before, after] = [key.slice(0, star), key.slice(star + 1)];
    if (subpath.startsWith(before) && subpath.endsWith(after)) {
      const middle = subpath.slice(before.length, subpath.length - after.length);
      return pickTarget(value)?.replaceAll('*', middle);
    }
  }
  return undefined;
}

function packageDir(packages, name) {
  if (!packages.has(name)) {
    const dir = join(root, 'node_modules', name);
    packages.set(name, existsSync(join(dir, 'package.json')) ? dir : undefined);
  }
  return packages.get(name);
}

function rewriteBareImports(source, packages) {
  return source.replace(
    /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s*)(["'])([^"'./][^"':]*)\2/g,
    (whole, keyword, quote, specifier) => {
      const parts = specifier.split('/');
      const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
      const dir = packageDir(packages, name);
      if (!dir) return whole;
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      const file = resolveInPackage(manifest, `.${specifier.slice(name.length)}`);
      if (!file) return whole;
      return `${keyword}${quote}/npm/${name}@${manifest.version}/${file.replace(/^\.\//, '')}${quote}`;
    },
  );
}

async function serveCdn(packages) {
  const cors = { 'access-control-allow-origin': '*' };
  const server = createServer(async (request, response) => {
    const path = decodeURIComponent(new URL(request.url, 'http://localhost').pathname);
    const match = /^\/npm\/((?:@[^/]+\/)?[^@/]+)@([^/]+)\/(.+)$/.exec(path);
    const dir = match && packageDir(packages, match[1]);
    const file = dir && resolve(dir, match[3]);
    if (!file || !file.startsWith(dir + sep) || !existsSync(file)) {
      response.writeHead(404, cors).end();
      return;
    }
    const type = contentType(file);
    // A file the package's `browser` field maps to `false` is an empty module in a browser
    // build, as esm.sh and jsDelivr's +esm serve it (mediabunny's Node-only `node.js`, which
    // imports node:fs/promises, is imported by its browser code and stubbed that way).
    const browserMap = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).browser;
    if (browserMap && typeof browserMap === 'object' && browserMap[`./${match[3]}`] === false) {
      response.writeHead(200, { ...cors, 'content-type': type }).end('export {};\n');
      return;
    }
    if (/\.m?js$/.test(file)) {
      const body = rewriteBareImports(await readFile(file, 'utf8'), packages);
      response.writeHead(200, { ...cors, 'content-type': type }).end(body);
      return;
    }
    response.writeHead(200, { ...cors, 'content-type': type });
    createReadStream(file).pipe(response);
  });
  await new Promise((done) => server.listen(0, '127.0.0.1', done));
  return { server, origin: `http://127.0.0.1:${server.address().port}` };
}

async function cdnProof(browser, packages, version) {
  const cdn = await serveCdn(packages);
  const page = join(tmpdir(), `genviz-cdn-page-${process.pid}`);
  try {
    await mkdir(page, { recursive: true });
    const template = await readFile(join(fixtures, 'cdn-page/index.html'), 'utf8');
    await writeFile(
      join(page, 'index.html'),
      template
        .replaceAll('https://cdn.jsdelivr.net', cdn.origin)
        .replaceAll('@VERSION', `@${version}`),
    );
    await proof(
      browser,
      'no build step: the elements as ES modules from a CDN on another origin',
      { '/': page },
      '/',
      { duel: true },
    );
  } finally {
    cdn.server.close();
    await rm(page, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------

const started = performance.now();
const scratch = await mkdtemp(join(tmpdir(), 'genviz-installs-'));
let browser;
try {
  const workspace = await scratchWorkspace(scratch);
  const packs = await packAll(workspace, scratch);
  const app = await freshProject(scratch, packs);
  const installed = join(app, 'node_modules');
  await checkPackedManifests(packs, installed);

  console.log('  packed and installed size of each package:');
  for (const packed of Object.values(packs)) {
    const bytes = await installedSize(join(installed, packed.name));
    console.log(
      `      ${packed.name}@${packed.version}: ${mb(packed.size)} packed, ${mb(bytes)} installed, ${packed.entryCount} files`,
    );
  }
  await checkShippedVariants(join(installed, '@genviz/models/assets'));
  const models = packs.models;
  if (models.size > MODELS_PACKED_LIMIT)
    fail(
      `@genviz/models packs to ${mb(models.size)}, over the ${mb(MODELS_PACKED_LIMIT)} target (docs/decisions/0007)`,
    );
  else
    pass(`@genviz/models packs to ${mb(models.size)} (target: at most ${mb(MODELS_PACKED_LIMIT)})`);

  // Builds, as the README tells a user to run them.
  const node = process.execPath;
  const builds = [
    ['vite-app', [join(installed, 'vite/bin/vite.js'), 'build', 'vite-app', '--logLevel', 'warn']],
    [
      'webpack-app',
      [join(installed, 'webpack-cli/bin/cli.js'), '--config', 'webpack-app/webpack.config.js'],
    ],
    [
      'react-app',
      [join(installed, 'vite/bin/vite.js'), 'build', 'react-app', '--logLevel', 'warn'],
    ],
  ];
  for (const [name, args] of builds) {
    if (!existsSync(join(app, name))) continue;
    try {
      run(node, args, { cwd: app, env: { ...process.env, NODE_ENV: 'production' } });
    } catch (error) {
      fail(`the ${name} build failed:\n${error.stdout}\n${error.stderr}`);
    }
  }
  try {
    run(node, [join(installed, 'typescript/bin/tsc'), '-p', 'react-app/tsconfig.json'], {
      cwd: app,
    });
    pass('react-app type-checks: typed properties and events of the elements in JSX');
  } catch (error) {
    fail(`react-app does not type-check:\n${error.stdout}${error.stderr}`);
  }

  // The CDN layout: /npm/<name>@<version>/<file>, as jsDelivr and unpkg serve a published package.
  const cdnPackages = new Map(
    Object.values(packs).map((packed) => [packed.name, join(installed, packed.name)]),
  );
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  await proof(
    browser,
    'Vite build of the installed packages',
    { '/': join(app, 'vite-app/dist') },
    '/',
  );
  await proof(
    browser,
    'webpack 5 build of the installed packages',
    { '/': join(app, 'webpack-app/dist') },
    '/',
    { duel: true, history: true },
  );
  await proof(browser, 'React 19 app (Vite build)', { '/': join(app, 'react-app/dist') }, '/');
  const strict = {
    'content-security-policy':
      "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; connect-src 'self'; img-src 'self'; style-src 'self'",
  };
  await proof(
    browser,
    "strict CSP ('self' 'wasm-unsafe-eval' only; Vite build)",
    { '/': join(app, 'vite-app/dist') },
    '/',
    { headers: strict },
  );
  await proof(
    browser,
    "strict CSP ('self' 'wasm-unsafe-eval' only; webpack build)",
    { '/': join(app, 'webpack-app/dist') },
    '/',
    { headers: strict, duel: true, history: true },
  );
  if (existsSync(join(root, 'packages/elements/src/gan-duel/define.ts'))) {
    await cdnProof(browser, cdnPackages, packs.elements.version);
  }
} catch (error) {
  fail(error.stack ?? String(error));
} finally {
  await browser?.close();
  if (process.env.GENVIZ_KEEP_SCRATCH) console.log(`  scratch kept in ${scratch}`);
  else await rm(scratch, { recursive: true, force: true });
}
const seconds = ((performance.now() - started) / 1000).toFixed(0);
if (failures > 0) {
  console.error(
    `check-installs: ${failures} problem(s) with the packages as users install them (${seconds} s).`,
  );
  process.exit(1);
}
console.log(
  `check-installs: the packed packages work from Vite, webpack, React, a CDN and under a strict CSP (${seconds} s).`,
);
