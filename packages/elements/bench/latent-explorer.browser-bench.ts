// `npm run bench`: <genviz-latent-explorer> in headless Chromium with the default mnist-vae on
// WASM (one thread: the bench page is not cross-origin isolated). A 5-second scripted drag moves
// the handle every animation frame; each move's decoded image is timed from the pointer event
// to the frame that shows it (`genviz-frame`), and the main thread is watched for long tasks and
// for the longest gap between frames. Figures only, never pass/fail on time.
import { GenvizRuntime } from '@genviz/runtime';
import { test } from 'vitest';
import { commands } from 'vitest/browser';
import '../src/latent-explorer/define.js';
import type { GenvizFrameEvent } from '../src/latent-explorer/events.js';
import type { GenvizLatentExplorer } from '../src/latent-explorer/latent-explorer.js';

const DRAG_MS = 5000;

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
};

test('latent-explorer drag benchmark', async () => {
  const runtime = new GenvizRuntime({ device: 'wasm' });
  const element = document.createElement('genviz-latent-explorer') as GenvizLatentExplorer;
  element.runtime = runtime;
  element.style.inlineSize = '760px';
  document.body.append(element);
  const started = performance.now();
  while (!element.decoded || element.nearestClass === null) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const readyMs = performance.now() - started;
  // Warm: a second of dragging before measuring (V8 tiers up onnxruntime's WASM meanwhile).
  const pad = element.shadowRoot!.querySelector('[part~="pad"]')!;
  const surface = pad.shadowRoot!.querySelector<HTMLElement>('[part~="surface"]')!;
  const drag = async (durationMs: number) => {
    const box = surface.getBoundingClientRect();
    const at = (t: number) => ({
      clientX: box.left + box.width * (0.5 + 0.35 * Math.cos(t / 400)),
      clientY: box.top + box.height * (0.5 + 0.35 * Math.sin(t / 300)),
      pointerId: 1,
      button: 0,
      bubbles: true,
      composed: true,
    });
    surface.dispatchEvent(new PointerEvent('pointerdown', at(0)));
    const begin = performance.now();
    let moves = 0;
    while (performance.now() - begin < durationMs) {
      await new Promise((resolve) => requestAnimationFrame(resolve));
      surface.dispatchEvent(new PointerEvent('pointermove', at(performance.now() - begin)));
      moves += 1;
    }
    surface.dispatchEvent(new PointerEvent('pointerup', at(performance.now() - begin)));
    return moves;
  };
  await drag(1000);
  await new Promise((resolve) => setTimeout(resolve, 200));

  const latencies: number[] = [];
  const onFrame = (event: GenvizFrameEvent) => latencies.push(event.latencyMs);
  element.addEventListener('genviz-frame', onFrame);
  let longestTask = 0;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) longestTask = Math.max(longestTask, entry.duration);
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
  const moves = await drag(DRAG_MS);
  await new Promise((resolve) => setTimeout(resolve, 200));
  watching = false;
  observer.disconnect();
  element.removeEventListener('genviz-frame', onFrame);

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
    flow256x50Ms: { p50: percentile(flowTimes, 50), min: Math.min(...flowTimes) },
    readyMs,
    moves,
    framesPainted: latencies.length,
    dragToPaintMs: {
      p50: percentile(latencies, 50),
      p95: percentile(latencies, 95),
      max: Math.max(...latencies),
    },
    longestTaskMs: longestTask,
    longestFrameGapMs: longestGap,
    targets: { p95: '<= 16.7 ms', longestTask: 'no task over 50 ms', flow: '<= 50 ms' },
  };
  await commands.writeBenchResults('latent-explorer', result);
  console.info(
    `\n<genviz-latent-explorer> 5 s drag on wasm (1 thread): ${moves} moves, ${latencies.length} decoded frames painted\n` +
      `  drag to paint: p50 ${result.dragToPaintMs.p50.toFixed(1)} ms, p95 ${result.dragToPaintMs.p95.toFixed(1)} ms (target <= 16.7), max ${result.dragToPaintMs.max.toFixed(1)} ms\n` +
      `  longest main-thread task ${longestTask.toFixed(0)} ms (long tasks >= 50 ms only; 0 = none; target none), longest gap between frames ${longestGap.toFixed(1)} ms\n` +
      `  ready (model, map data, first decode) ${readyMs.toFixed(0)} ms\n` +
      `  2-D flow of 256 points over 50 steps (guidance 3, in the worker): p50 ${result.flow256x50Ms.p50.toFixed(1)} ms, min ${result.flow256x50Ms.min.toFixed(1)} ms (target <= 50 ms in total)`,
  );
  element.remove();
  runtime.terminate();
});
