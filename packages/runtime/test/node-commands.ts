// Server-side commands for the runtime's browser tests (vitest `browser.commands`): they run in
// Node beside the test browser, so a test can compare what onnxruntime-web computed in the
// worker with what onnxruntime-node computes from the same file and inputs.
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { CDPSession } from 'playwright';
import type { BrowserCommand } from 'vitest/node';

const assetsDir = resolve(import.meta.dirname, '../../models/assets');

export interface NodeTensor {
  dtype: 'float32' | 'int64';
  dims: number[];
  data: number[];
}

export const ortNodeRun: BrowserCommand<
  [modelId: string, file: string, feeds: Record<string, NodeTensor>]
> = async (_context, modelId, file, feeds) => {
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(join(assetsDir, modelId, file));
  try {
    const inputs: Record<string, InstanceType<typeof ort.Tensor>> = {};
    for (const [name, tensor] of Object.entries(feeds)) {
      inputs[name] =
        tensor.dtype === 'int64'
          ? new ort.Tensor(
              'int64',
              BigInt64Array.from(tensor.data.map((value) => BigInt(value))),
              tensor.dims,
            )
          : new ort.Tensor('float32', Float32Array.from(tensor.data), tensor.dims);
    }
    const outputs = await session.run(inputs);
    return Object.fromEntries(
      Object.entries(outputs).map(([name, value]) => [
        name,
        { dims: [...value.dims], data: Array.from(value.data as Float32Array) },
      ]),
    );
  } finally {
    await session.release();
  }
};

/** The manifest of a built default model, read from disk (the test checks the served copy against it). */
export const readDefaultManifest: BrowserCommand<[modelId: string]> = async (_context, modelId) =>
  JSON.parse(await readFile(join(assetsDir, modelId, 'manifest.json'), 'utf8')) as unknown;

declare module 'vitest/browser' {
  interface BrowserCommands {
    ortNodeRun: (
      modelId: string,
      file: string,
      feeds: Record<string, NodeTensor>,
    ) => Promise<Record<string, { dims: number[]; data: number[] }>>;
    readDefaultManifest: (modelId: string) => Promise<unknown>;
  }
}

/** Benchmarks write their figures as JSON beside the repository root (bench-results/, ignored by git). */
export const writeBenchResults: BrowserCommand<[name: string, results: unknown]> = async (
  _context,
  name,
  results,
) => {
  const { mkdir, writeFile } = await import('node:fs/promises');
  const dir = resolve(import.meta.dirname, '../../../bench-results');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, `${name}.json`), `${JSON.stringify(results, null, 2)}\n`);
};

declare module 'vitest/browser' {
  interface BrowserCommands {
    writeBenchResults: (name: string, results: unknown) => Promise<void>;
  }
}

/**
 * A person's mouse: Playwright's `page.mouse`, through Chromium's input pipeline (hit testing,
 * pointer capture, coalescing, frame-aligned dispatch), not `dispatchEvent`. `points` are client
 * coordinates in the test page; the button is held from the first point to the last when
 * `press` is set. `intervalMs` waits between moves (each move already waits for the browser to
 * take it).
 */
export const mousePath: BrowserCommand<
  [points: [number, number][], options?: { press?: boolean; intervalMs?: number }]
> = async (context, points, options = {}) => {
  const frame = await context.frame();
  const box = await (await frame.frameElement()).boundingBox();
  if (!box) throw new Error('mousePath: the test frame is not on screen');
  const inner = await frame.evaluate(() => window.innerWidth);
  const scale = box.width / (inner || 1);
  const { mouse } = context.page;
  const move = ([x, y]: [number, number]) => mouse.move(box.x + x * scale, box.y + y * scale);
  const [first, ...rest] = points;
  if (!first) return;
  await move(first);
  if (options.press) await mouse.down();
  for (const point of rest) {
    await move(point);
    if (options.intervalMs) await new Promise((resolve) => setTimeout(resolve, options.intervalMs));
  }
  if (options.press) await mouse.up();
};

let profiler: CDPSession | undefined;

/** Functions by self time, the heaviest first. */
export interface CpuProfileSummary {
  all: { name: string; selfMs: number }[];
  /** Only the samples inside the windows given to `stop`. */
  inWindows: { name: string; selfMs: number }[];
}

/**
 * The page's main-thread CPU profile (Chromium's V8 sampling profiler over CDP): `start`, then
 * `stop` returns the functions with the most self time, and how long each ran. With `windows`
 * ([from, to] in ms before `stop` was called: negative), only the samples inside them count
 * too (the long tasks, say).
 */
export const cpuProfile: BrowserCommand<
  [action: 'start' | 'stop', windows?: [number, number][]]
> = async (context, action, windows) => {
  if (action === 'start') {
    profiler = await context.page.context().newCDPSession(context.page);
    await profiler.send('Profiler.enable');
    await profiler.send('Profiler.setSamplingInterval', { interval: 500 });
    await profiler.send('Profiler.start');
    return { all: [], inWindows: [] };
  }
  if (!profiler) throw new Error('cpuProfile: stop without start');
  const { profile } = await profiler.send('Profiler.stop');
  await profiler.detach();
  profiler = undefined;
  const deltas = profile.timeDeltas ?? [];
  const top = (inside?: [number, number][]) => {
    const selfUs = new Map<number, number>();
    // Sample times from the end of the profile, as the windows are given.
    let at = profile.startTime - profile.endTime;
    (profile.samples ?? []).forEach((id, i) => {
      at += deltas[i] ?? 0;
      const ms = at / 1000;
      if (inside && !inside.some(([from, to]) => ms >= from && ms <= to)) return;
      selfUs.set(id, (selfUs.get(id) ?? 0) + (deltas[i] ?? 0));
    });
    const byName = new Map<string, number>();
    for (const node of profile.nodes) {
      const { functionName, url, lineNumber } = node.callFrame;
      const file = url.replace(/^.*\/(?=[^/]+$)/, '').replace(/\?.*$/, '');
      const key = `${functionName || '(anonymous)'} ${file}:${lineNumber + 1}`;
      byName.set(key, (byName.get(key) ?? 0) + (selfUs.get(node.id) ?? 0));
    }
    return [...byName]
      .map(([name, us]) => ({ name, selfMs: us / 1000 }))
      .filter((row) => row.selfMs > 0)
      .sort((a, b) => b.selfMs - a.selfMs)
      .slice(0, 40);
  };
  return { all: top(), inWindows: windows ? top(windows) : [] };
};

/**
 * A person's mouse: strokes (each a list of points, in CSS px of the test page's viewport) made
 * with Playwright's `page.mouse`, which goes through the browser's input pipeline (trusted
 * events, coalesced moves, pointer capture, hit testing), unlike `dispatchEvent`. Each stroke
 * presses at its first point, moves through the rest and releases at its last; a one-point
 * stroke is a click there. `innerWidth` is the test page's, to undo the test iframe's scaling.
 */
export const mouseStrokes: BrowserCommand<
  [strokes: ReadonlyArray<ReadonlyArray<readonly [number, number]>>, innerWidth: number]
> = async (context, strokes, innerWidth) => {
  const frame = await context.frame();
  const box = await (await frame.frameElement()).boundingBox();
  if (!box) throw new Error('mouseStrokes: the test iframe is not on screen');
  const scale = box.width / innerWidth;
  const viewport = context.page.viewportSize();
  const at = (point: readonly [number, number]) => {
    const x = box.x + point[0] * scale;
    const y = box.y + point[1] * scale;
    // A point off the page's window would be lost: the mouse cannot press there.
    if (viewport && (x < 0 || y < 0 || x >= viewport.width || y >= viewport.height)) {
      throw new Error(
        `mouseStrokes: (${point[0]}, ${point[1]}) is off the test page's ${viewport.width}x${viewport.height} window`,
      );
    }
    return [x, y] as const;
  };
  const { mouse } = context.page;
  for (const stroke of strokes) {
    if (stroke.length === 0) continue;
    await mouse.move(...at(stroke[0]!));
    await mouse.down();
    for (const point of stroke.slice(1)) await mouse.move(...at(point));
    await mouse.up();
  }
};

/** Moves the mouse over one point (a hover), in the test page's CSS px. */
export const mouseHover: BrowserCommand<
  [point: readonly [number, number], innerWidth: number]
> = async (context, point, innerWidth) => {
  const frame = await context.frame();
  const box = await (await frame.frameElement()).boundingBox();
  if (!box) throw new Error('mouseHover: the test iframe is not on screen');
  const scale = box.width / innerWidth;
  await context.page.mouse.move(box.x + point[0] * scale, box.y + point[1] * scale);
};

declare module 'vitest/browser' {
  interface BrowserCommands {
    mousePath: (
      points: [number, number][],
      options?: { press?: boolean; intervalMs?: number },
    ) => Promise<void>;
    cpuProfile: (
      action: 'start' | 'stop',
      windows?: [number, number][],
    ) => Promise<CpuProfileSummary>;
    mouseStrokes: (
      strokes: ReadonlyArray<ReadonlyArray<readonly [number, number]>>,
      innerWidth: number,
    ) => Promise<void>;
    mouseHover: (point: readonly [number, number], innerWidth: number) => Promise<void>;
  }
}

/** What a request for a model asset looks like: a manifest, a model file or a data file. */
const isModelAsset = (url: URL) => /(?:\/manifest\.json|\.onnx|\.bin)$/.test(url.pathname);
let cutAssets: string[] | undefined;

/**
 * Cuts the network for model assets (manifests, .onnx, .bin) in the test's browser context,
 * workers included, as an unplugged cable does: each request fails. Other requests (the test
 * page's modules, onnxruntime's WASM) still load.
 */
export const cutModelNetwork: BrowserCommand<[]> = async (context) => {
  if (cutAssets) return;
  const aborted: string[] = [];
  cutAssets = aborted;
  await context.context.route(isModelAsset, async (route) => {
    aborted.push(route.request().url());
    await route.abort('internetdisconnected');
  });
};

/** Restores the network `cutModelNetwork` cut; returns the URLs whose requests it failed. */
export const restoreModelNetwork: BrowserCommand<[]> = async (context) => {
  const aborted = cutAssets ?? [];
  cutAssets = undefined;
  await context.context.unroute(isModelAsset);
  return aborted;
};

declare module 'vitest/browser' {
  interface BrowserCommands {
    cutModelNetwork: () => Promise<void>;
    restoreModelNetwork: () => Promise<string[]>;
  }
}
