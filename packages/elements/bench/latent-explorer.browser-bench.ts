// `npm run bench`: <genviz-latent-explorer> in headless Chromium with the default mnist-vae on
// WASM (one thread: the bench page is not cross-origin isolated). Drags with a real mouse
// (Playwright's page.mouse, through Chromium's input pipeline): each move is timed from the
// pointer event's own `timeStamp` (before Chromium's frame-aligned dispatch) to the frame that
// shows an image for the new point (the preview blended from the grid kept in memory, painted in
// the task of the event) and to the frame that shows its exact decode. A fast drag (a move per
// frame) gives the preview figures; a slow one (a move every 100 ms) gives every move's exact
// decode time (in a fast drag most exact decodes are overtaken by the next move's preview). The
// main thread is watched for long tasks and for the longest gap between frames. Figures only,
// never pass/fail on time.
import { GenvizRuntime } from '@genviz/runtime';
import { test } from 'vitest';
import { commands } from 'vitest/browser';
import '../src/latent-explorer/define.js';
import type { GenvizFrameEvent } from '../src/latent-explorer/events.js';
import type { GenvizLatentExplorer } from '../src/latent-explorer/latent-explorer.js';
import type {} from '../src/testing/node-commands.js';
import { ErrorWatch } from './watch.js';

const DRAG_MS = 5000;

const percentile = (values: number[], p: number) => {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
};
const stats = (values: number[]) => ({
  p50: percentile(values, 50),
  p95: percentile(values, 95),
  max: Math.max(...values),
  count: values.length,
});

test('latent-explorer drag benchmark', async () => {
  const errors = new ErrorWatch();
  const runtime = new GenvizRuntime({ device: 'wasm' });
  const element = document.createElement('genviz-latent-explorer') as GenvizLatentExplorer;
  element.runtime = runtime;
  element.style.inlineSize = '760px';
  document.body.append(element);
  const started = performance.now();
  await errors.until(
    () => element.decoded !== undefined && element.nearestClass !== null,
    'the first decode and the map data',
  );
  const readyMs = performance.now() - started;
  await errors.until(() => element.previewReady, 'the preview grid');
  const previewReadyMs = performance.now() - started;
  const pad = element.shadowRoot!.querySelector('[part~="pad"]')!;
  const surface = pad.shadowRoot!.querySelector<HTMLElement>('[part~="surface"]')!;
  /** A real-mouse drag around an ellipse: `moves` points, `intervalMs` apart (0: as fast as the browser takes them). */
  const drag = async (moves: number, intervalMs: number) => {
    const box = surface.getBoundingClientRect();
    const path = Array.from({ length: moves + 1 }, (_, i): [number, number] => [
      box.left + box.width * (0.5 + 0.35 * Math.cos(i / 7)),
      box.top + box.height * (0.5 + 0.35 * Math.sin(i / 5)),
    ]);
    await errors.race(commands.mousePath(path, { press: true, intervalMs }), 'the mouse drag');
  };
  // Warm: a drag before measuring (V8 tiers up onnxruntime's WASM meanwhile).
  await drag(60, 0);
  await new Promise((resolve) => setTimeout(resolve, 300));

  const record = () => {
    const moves: number[] = [];
    const onMove = (event: PointerEvent) => {
      if (event.buttons === 1) moves.push(event.timeStamp);
    };
    const preview: number[] = [];
    const exact: number[] = [];
    const onFrame = (event: GenvizFrameEvent) =>
      (event.exact ? exact : preview).push(event.latencyMs);
    window.addEventListener('pointermove', onMove, true);
    element.addEventListener('genviz-frame', onFrame);
    return {
      moves,
      preview,
      exact,
      stop: () => {
        window.removeEventListener('pointermove', onMove, true);
        element.removeEventListener('genviz-frame', onFrame);
      },
    };
  };

  let longestTask = 0;
  let longTasks = 0;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      longestTask = Math.max(longestTask, entry.duration);
      longTasks += 1;
    }
  });
  observer.observe({ type: 'longtask' });
  let longestGap = 0;
  let watching = true;
  let last = performance.now();
  const watchFrames = (now: number) => {
    longestGap = Math.max(longestGap, now - last);
    last = now;
    if (watching) requestAnimationFrame(watchFrames);
  };
  requestAnimationFrame(watchFrames);
  const fast = record();
  const fastStarted = performance.now();
  await drag(Math.round(DRAG_MS / 16.7), 0);
  const fastMs = performance.now() - fastStarted;
  await new Promise((resolve) => setTimeout(resolve, 300));
  fast.stop();
  watching = false;
  observer.disconnect();

  const slow = record();
  await drag(40, 100);
  await new Promise((resolve) => setTimeout(resolve, 300));
  slow.stop();
  errors.check();

  // The flow view's work: 256 points, DDIM 50 steps, guidance 3 (a batch of 512 per call).
  const flowLabels = Array.from({ length: 256 }, (_, i) => i % 10);
  const flowRun = () =>
    runtime.diffusion.sample({
      model: 'mnist-vae-flow',
      classLabels: flowLabels,
      guidanceScale: 3,
      steps: 50,
      every: 0,
      decode: false,
    });
  await flowRun();
  const flowTimes: number[] = [];
  for (let i = 0; i < 10; i++) flowTimes.push((await flowRun()).elapsedMs);

  const result = {
    device: 'wasm, 1 thread',
    input: 'Playwright page.mouse (real input pipeline); latency from PointerEvent.timeStamp',
    flow256x50Ms: { p50: percentile(flowTimes, 50), min: Math.min(...flowTimes) },
    readyMs,
    previewReadyMs,
    fastDrag: {
      durationMs: fastMs,
      pointerMoves: fast.moves.length,
      toPreviewMs: stats(fast.preview),
      toExactMs: stats(fast.exact),
    },
    slowDrag: {
      pointerMoves: slow.moves.length,
      toPreviewMs: stats(slow.preview),
      toExactMs: stats(slow.exact),
    },
    longestTaskMs: longestTask,
    longTasks,
    longestFrameGapMs: longestGap,
    targets: {
      toPreviewP95: '<= 16.7 ms',
      toExactP95: '<= 33 ms',
      longestTask: 'no task over 50 ms',
      flow: '<= 50 ms',
    },
  };
  await commands.writeBenchResults('latent-explorer', result);
  const line = (name: string, s: ReturnType<typeof stats>, target: string) =>
    `  ${name}: p50 ${s.p50.toFixed(1)} ms, p95 ${s.p95.toFixed(1)} ms (target <= ${target}), max ${s.max.toFixed(1)} ms, ${s.count} frames`;
  console.info(
    `\n<genviz-latent-explorer> real-mouse drags on wasm (1 thread), timed from PointerEvent.timeStamp\n` +
      `  fast drag: ${fast.moves.length} pointer moves in ${fastMs.toFixed(0)} ms\n` +
      `${line('  pointer to a frame showing its preview', result.fastDrag.toPreviewMs, '16.7')}\n` +
      `${line('  pointer to a frame showing its exact decode (those not overtaken)', result.fastDrag.toExactMs, '33')}\n` +
      `  slow drag (a move every 100 ms): ${slow.moves.length} pointer moves\n` +
      `${line('  pointer to a frame showing its preview', result.slowDrag.toPreviewMs, '16.7')}\n` +
      `${line('  pointer to a frame showing its exact decode', result.slowDrag.toExactMs, '33')}\n` +
      `  fast drag: longest main-thread task ${longestTask.toFixed(0)} ms, ${longTasks} tasks over 50 ms (target none), longest gap between frames ${longestGap.toFixed(1)} ms\n` +
      `  ready (model, map data, first decode) ${readyMs.toFixed(0)} ms; preview grid (32x32 decodes) ready at ${previewReadyMs.toFixed(0)} ms\n` +
      `  2-D flow of 256 points over 50 steps (guidance 3, in the worker): p50 ${result.flow256x50Ms.p50.toFixed(1)} ms, min ${result.flow256x50Ms.min.toFixed(1)} ms (target <= 50 ms in total)`,
  );
  element.remove();
  runtime.terminate();
  errors.stop();
});
