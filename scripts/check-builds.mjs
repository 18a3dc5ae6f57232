// Checks that the production builds work for a reader: the site (apps/site/dist) and the static
// Storybook (apps/storybook/storybook-static) are served as plain static files, opened in Debian's
// Chromium, and must sample a digit with the real default models in the runtime's worker.
// The dev-server tests cannot catch a bundling mistake (a worker inlined as an asset, a wasm file
// left out), and that is what broke once. Run after `turbo run build`; part of `npm test`.
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright';
import { narrowLayoutProblems } from './narrow-layout.mjs';
import { serve } from './static-server.mjs';

const root = resolve(import.meta.dirname, '..');
const chromiumPath = process.env.GENVIZ_CHROMIUM ?? '/usr/bin/chromium';
const timeoutMs = 120_000;

/**
 * Opens `url`, optionally clicks the play button of the stepper matching `selector`, and waits
 * for that stepper's `genviz-complete` (or `genviz-error`) event.
 */
async function sampleOnPage(browser, url, { selector, clickPlay, measureFirstVisit }) {
  const page = await browser.newPage();
  const problems = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    // Failed requests are reported with their URL by the response handler below.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource'))
      problems.push(`console error: ${message.text()}`);
  });
  // On WASM, the WebGPU build's 28 MB binary must never be fetched (docs/decisions/0004).
  const wasmFiles = [];
  page.on('request', (request) => {
    const name = new URL(request.url()).pathname.split('/').pop();
    if (name.endsWith('.wasm')) wasmFiles.push(name);
  });
  const fetched = [];
  let lastFinished = performance.now();
  page.on('requestfinished', async (request) => {
    lastFinished = performance.now();
    const sizes = await request.sizes().catch(() => undefined);
    fetched.push({ url: request.url(), bytes: sizes?.responseBodySize ?? 0 });
  });
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`HTTP ${response.status()} for ${response.url()}`);
  });
  await page.addInitScript(() => {
    globalThis.__genvizEvents = [];
    for (const type of ['genviz-complete', 'genviz-error']) {
      globalThis.document.addEventListener(type, (event) =>
        globalThis.__genvizEvents.push({
          type,
          mode: event.target?.getAttribute?.('mode') ?? event.target?.mode,
          digit: event.reading?.digit,
          confidence: event.reading?.confidence,
          evaluations: event.result?.evaluations,
          device: event.result?.device?.device,
          reason: event.result?.device?.reason,
          code: event.code,
          message: event.message,
        }),
      );
    }
  });
  await page.goto(url);
  const stepper = page.locator(selector).first();
  await stepper.waitFor({ state: 'attached', timeout: timeoutMs });
  let firstVisit;
  if (measureFirstVisit) {
    // What a first visit fetches before the reader does anything: until the network has been
    // quiet for 3 s (at most 90 s).
    const until = performance.now() + 90_000;
    while (performance.now() - lastFinished < 3000 && performance.now() < until)
      await new Promise((done) => setTimeout(done, 250));
    firstVisit = [...fetched];
  }
  if (clickPlay) await stepper.locator('[part~="play-button"]').click({ timeout: timeoutMs });
  await page.waitForFunction(() => globalThis.__genvizEvents.length > 0, undefined, {
    timeout: timeoutMs,
  });
  const [event] = await page.evaluate(() => globalThis.__genvizEvents);
  const afterInteraction = fetched.slice(firstVisit?.length ?? fetched.length);
  await page.close();
  if (event.device === 'wasm' && wasmFiles.some((name) => name.includes('.jsep')))
    problems.push(`fetched the WebGPU build on a WASM-only page: ${wasmFiles.join(', ')}`);
  if (event.device === 'wasm' && wasmFiles.length !== 1)
    problems.push(`expected one WASM binary to be fetched, got: ${wasmFiles.join(', ') || 'none'}`);
  return { event, problems, firstVisit, afterInteraction };
}

/** Bytes by kind: JS, WASM, model files (manifests, .onnx, data), the rest. */
function byKind(fetched) {
  const kinds = { js: 0, wasm: 0, models: 0, other: 0 };
  for (const { url, bytes } of fetched) {
    const path = new URL(url).pathname;
    if (/\.m?js$/.test(path)) kinds.js += bytes;
    else if (path.endsWith('.wasm')) kinds.wasm += bytes;
    else if (isModelFile(path) || /\/manifest[^/]*\.json$/.test(path)) kinds.models += bytes;
    else kinds.other += bytes;
  }
  return kinds;
}

const mb = (bytes) => `${(bytes / 1e6).toFixed(2)} MB`;
const isModelFile = (path) => /\.(onnx|bin)$/.test(path);
/** The model files fetched, by name, with their sizes. */
const modelFiles = (fetched) =>
  fetched
    .filter(({ url }) => isModelFile(new URL(url).pathname))
    .map(({ url, bytes }) => `${new URL(url).pathname.split('/').pop()} ${mb(bytes)}`);

const checks = [
  {
    name: 'site (apps/site/dist)',
    dir: join(root, 'apps/site/dist'),
    path: '/',
    selector: 'genviz-diffusion-stepper[mode="reverse"]',
    clickPlay: true,
    digit: 3,
    measureFirstVisit: true,
  },
  {
    // The headers the site's dev and preview servers send (apps/site/vite.config.ts): the page
    // is cross-origin isolated and the runtime must run WASM with threads, and say so.
    name: 'site, cross-origin isolated (COOP/COEP)',
    dir: join(root, 'apps/site/dist'),
    path: '/',
    headers: {
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-embedder-policy': 'require-corp',
    },
    selector: 'genviz-diffusion-stepper[mode="reverse"]',
    clickPlay: true,
    digit: 3,
    reason: /, \d+ threads \(page cross-origin isolated\)/,
  },
  {
    name: 'static Storybook (apps/storybook/storybook-static)',
    dir: join(root, 'apps/storybook/storybook-static'),
    // The story shows the stepper ready to sample; the check presses play.
    path: '/iframe.html?id=elements-diffusion-stepper--reverse&viewMode=story',
    selector: 'genviz-diffusion-stepper',
    clickPlay: true,
  },
];

/**
 * The site's reference table shows `genviz-export evaluate` figures kept in the repository; they
 * must describe the models the site ships, file for file.
 */
async function staleReferenceFigures() {
  const reference = JSON.parse(
    await readFile(join(root, 'apps/site/src/reference-figures.json'), 'utf8'),
  );
  const stale = [];
  for (const [id, files] of Object.entries(reference.files)) {
    const manifest = JSON.parse(
      await readFile(join(root, 'packages/models/assets', id, 'manifest.json'), 'utf8'),
    );
    const shipped = new Map(
      Object.values(manifest.networks).flatMap((network) =>
        network.variants.map((variant) => [variant.file, variant.sha256]),
      ),
    );
    for (const [file, sha256] of Object.entries(files))
      if (shipped.get(file) !== sha256) stale.push(`${id}/${file}`);
  }
  return stale;
}

/**
 * Presses the comparison table's button on the built site and waits for every family's row:
 * figures the classifier measured in this browser, in the ranges the models' own evaluation
 * gives them.
 */
async function measureComparison(browser, origin) {
  const page = await browser.newPage();
  const problems = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  try {
    await page.goto(`${origin}/`);
    const referenceRows = await page.locator('tbody[data-reference] tr').count();
    if (referenceRows < 4) problems.push(`the reference table has ${referenceRows} rows`);
    const rows = page.evaluate(
      () =>
        new Promise((resolve) =>
          globalThis.document.addEventListener(
            'genviz-comparison',
            (event) => resolve(event.detail),
            {
              once: true,
            },
          ),
        ),
    );
    await page.locator('button[data-measure]').click();
    const measured = await Promise.race([
      rows,
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error('no figures after 5 minutes')), 300_000),
      ),
    ]);
    const byFamily = Object.fromEntries(measured.map((row) => [row.family, row]));
    const expect = (ok, what) => ok || problems.push(what);
    expect(measured.length === 5, `${measured.length} rows, expected 5`);
    expect(byFamily.GAN?.confident > 0.8, `GAN quality ${byFamily.GAN?.confident}`);
    expect(byFamily.GAN?.entropyBits > 3, `GAN diversity ${byFamily.GAN?.entropyBits} bits`);
    expect(byFamily.VAE?.entropyBits < byFamily.GAN?.entropyBits, 'the VAE as diverse as the GAN');
    for (const family of ['Diffusion', 'Latent diffusion', 'Distilled diffusion (4 steps)'])
      expect(
        byFamily[family]?.askedDigit >= 0.9,
        `${family} drew the asked digit ${byFamily[family]?.askedDigit}`,
      );
    const cells = await page.locator('tbody[data-measured] tr').count();
    expect(cells === 5, `the measured table shows ${cells} rows`);
    return { measured, problems };
  } finally {
    await page.close();
  }
}

/**
 * The built site as a phone shows it (issue 24): at 320 px wide, once every element has been
 * scrolled into view and has loaded, nothing may overflow the page or its element, no control
 * may be cut off, and axe-core may find no serious or critical violation. The page must also
 * name an icon, so that browsers do not ask for a missing /favicon.ico on every load.
 */
async function checkNarrowSite(browser, origin) {
  const page = await browser.newPage({ viewport: { width: 320, height: 800 } });
  const problems = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  try {
    await page.goto(`${origin}/`);
    // Scroll through the page: the elements are loading="lazy" and start near the viewport.
    const height = await page.evaluate(() => globalThis.document.documentElement.scrollHeight);
    for (let y = 0; y <= height; y += 400) {
      await page.evaluate((top) => globalThis.scrollTo(0, top), y);
      await page.waitForTimeout(100);
    }
    await page.evaluate(() => globalThis.scrollTo(0, 0));
    await page.waitForFunction(
      () =>
        [...globalThis.document.querySelectorAll('*')]
          .filter((element) => element.localName.startsWith('genviz-'))
          .every((element) => !element.matches(':state(loading)')),
      undefined,
      { timeout: timeoutMs * 2 },
    );
    for (const line of await page.evaluate(narrowLayoutProblems)) problems.push(line);
    await page.addScriptTag({
      content: await readFile(join(root, 'node_modules/axe-core/axe.min.js'), 'utf8'),
    });
    const violations = await page.evaluate(
      async () =>
        (await globalThis.axe.run(globalThis.document, { resultTypes: ['violations'] })).violations,
    );
    for (const { id, impact, help, nodes } of violations) {
      if (impact === 'serious' || impact === 'critical')
        problems.push(
          `axe ${impact} ${id}: ${help} (${nodes.length}): ${JSON.stringify(nodes[0].target)}`,
        );
    }
    const icon = await page.evaluate(async () => {
      const link = globalThis.document.querySelector('link[rel~="icon"]');
      return link ? (await globalThis.fetch(link.href)).ok : false;
    });
    if (!icon)
      problems.push('the page names no icon that loads (browsers then ask for /favicon.ico)');
    return {
      problems,
      minor: violations
        .filter(({ impact }) => impact !== 'serious' && impact !== 'critical')
        .map(({ id }) => id),
    };
  } finally {
    await page.close();
  }
}

/**
 * A reader's second visit without network (issue 24): after a first visit has scrolled through
 * the built site and sampled a digit, the page is reloaded with every request for a manifest or
 * model file failing, and must load every element and sample again from the Cache API.
 */
async function checkOfflineReload(browser, origin) {
  const context = await browser.newContext({ viewport: { width: 1024, height: 800 } });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  await page.addInitScript(() => {
    globalThis.__genvizErrors = [];
    globalThis.__genvizCompleted = 0;
    globalThis.document.addEventListener('genviz-error', (event) =>
      globalThis.__genvizErrors.push(`<${event.target.localName}> ${event.message}`),
    );
    globalThis.document.addEventListener('genviz-complete', () => {
      globalThis.__genvizCompleted += 1;
    });
  });
  const visit = async (what) => {
    const height = await page.evaluate(() => globalThis.document.documentElement.scrollHeight);
    for (let y = 0; y <= height; y += 600) {
      await page.evaluate((top) => globalThis.scrollTo(0, top), y);
      await page.waitForTimeout(100);
    }
    await page
      .locator('genviz-diffusion-stepper[mode="reverse"] [part~="play-button"]')
      .first()
      .click({ timeout: timeoutMs });
    await page.waitForFunction(
      () =>
        globalThis.__genvizErrors.length > 0 ||
        (globalThis.__genvizCompleted > 0 &&
          [...globalThis.document.querySelectorAll('*')]
            .filter((element) => element.localName.startsWith('genviz-'))
            .every((element) => !element.matches(':state(loading)')) &&
          // The arms race has judged with every snapshot (so each file has been fetched once).
          [...globalThis.document.querySelectorAll('genviz-gan-duel[mode="matrix"]')].every(
            (element) =>
              element.matrices.length === 2 &&
              element.matrices.every((matrix) => matrix.rows === matrix.detectives.length),
          )),
      undefined,
      { timeout: timeoutMs * 2 },
    );
    for (const error of await page.evaluate(() => globalThis.__genvizErrors))
      problems.push(`${what}: ${error}`);
  };
  try {
    await page.goto(`${origin}/`);
    await visit('first visit');
    const aborted = [];
    const isModelAsset = (url) => /\.(json|onnx|bin)$/.test(url.pathname);
    await context.route(isModelAsset, async (route) => {
      aborted.push(route.request().url());
      await route.abort('internetdisconnected');
    });
    await page.reload();
    await visit('reload without network');
    const manifests = aborted.filter((url) => url.endsWith('.json')).length;
    if (manifests === 0) problems.push('the reload asked for no manifest: the check cut nothing');
    return { problems, manifests };
  } finally {
    await context.close();
  }
}

const browser = await chromium.launch({
  executablePath: chromiumPath,
  args: [
    '--no-sandbox',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ],
});
let failures = 0;
try {
  for (const check of checks) {
    const { server, origin } = await serve(check.dir, { headers: check.headers });
    try {
      const started = performance.now();
      const { event, problems, firstVisit, afterInteraction } = await sampleOnPage(
        browser,
        origin + check.path,
        check,
      );
      if (check.reason && !check.reason.test(event.reason ?? ''))
        problems.push(`the device line says "${event.reason}", expected ${check.reason}`);
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      const wrongDigit = check.digit !== undefined && event.digit !== check.digit;
      if (event.type !== 'genviz-complete' || wrongDigit || problems.length > 0) {
        failures += 1;
        console.error(`  ✗ ${check.name}: ${JSON.stringify(event)}`);
        for (const problem of problems) console.error(`      ${problem}`);
      } else {
        console.log(
          `  ✓ ${check.name}: sampled a ${event.digit} (${(event.confidence * 100).toFixed(0)}%) in ${event.evaluations} evaluations on ${event.device} (${event.reason}), ${seconds} s from opening the page`,
        );
      }
      if (firstVisit) {
        const before = byKind(firstVisit);
        const after = byKind(afterInteraction);
        console.log(
          `      first visit, before any interaction: JS ${mb(before.js)}, WASM ${mb(before.wasm)}, models ${mb(before.models)}, other ${mb(before.other)}`,
        );
        console.log(`        model files: ${modelFiles(firstVisit).join(', ') || 'none'}`);
        console.log(
          `      deferred to the first interaction (play): JS ${mb(after.js)}, WASM ${mb(after.wasm)}, models ${mb(after.models)}; ${modelFiles(afterInteraction).join(', ') || 'no model files'}`,
        );
        // The site's elements are loading="lazy": before the reader scrolls or clicks, only
        // what is near the first screen may load (issue 15: at most 4 MB of model files).
        if (before.models > 4e6) {
          failures += 1;
          console.error(
            `  ✗ ${check.name}: ${mb(before.models)} of model files before any interaction, over the 4 MB budget`,
          );
        }
      }
    } catch (error) {
      failures += 1;
      console.error(`  ✗ ${check.name}: ${error.message.split('\n')[0]}`);
    } finally {
      server.close();
    }
  }
  {
    const stale = await staleReferenceFigures();
    if (stale.length > 0) {
      failures += 1;
      console.error(
        `  ✗ apps/site/src/reference-figures.json describes other files than the models shipped: ${stale.join(', ')}; regenerate it (apps/site/README.md)`,
      );
    }
    const { server, origin } = await serve(join(root, 'apps/site/dist'));
    try {
      const { problems, minor } = await checkNarrowSite(browser, origin);
      if (problems.length > 0) {
        failures += 1;
        console.error(`  ✗ site at 320 px and axe-core: ${problems.length} problems`);
        for (const problem of problems) console.error(`      ${problem}`);
      } else {
        console.log(
          `  ✓ site at 320 px: no overflow, no control cut off; axe-core: no serious or critical violation${minor.length > 0 ? ` (minor: ${minor.join(', ')})` : ''}`,
        );
      }
    } catch (error) {
      failures += 1;
      console.error(`  ✗ site at 320 px: ${error.message.split('\n')[0]}`);
    }
    try {
      const { problems, manifests } = await checkOfflineReload(browser, origin);
      if (problems.length > 0) {
        failures += 1;
        console.error(`  ✗ site reloaded without network: ${problems.join('; ')}`);
      } else {
        console.log(
          `  ✓ site reloaded without network: every element loaded and sampled from the Cache API (${manifests} manifest requests failed)`,
        );
      }
    } catch (error) {
      failures += 1;
      console.error(`  ✗ site reloaded without network: ${error.message.split('\n')[0]}`);
    }
    try {
      const { measured, problems } = await measureComparison(browser, origin);
      if (problems.length > 0) {
        failures += 1;
        console.error(`  ✗ site comparison table: ${problems.join('; ')}`);
      } else {
        const summary = measured
          .map(
            (row) =>
              `${row.family} ${(row.confident * 100).toFixed(0)}% / ${row.entropyBits.toFixed(2)} bits / ${row.msPerImage.toFixed(1)} ms`,
          )
          .join(', ');
        console.log(`  ✓ site comparison table, measured in Chromium: ${summary}`);
      }
    } catch (error) {
      failures += 1;
      console.error(`  ✗ site comparison table: ${error.message.split('\n')[0]}`);
    } finally {
      server.close();
    }
  }
} finally {
  await browser.close();
}
if (failures > 0) {
  console.error(`check-builds: ${failures} production build(s) do not work in Chromium.`);
  process.exit(1);
}
console.log('check-builds: the production builds sample digits in Chromium.');
