// `npm run bench`: saving a 50-step reverse trajectory of <genviz-diffusion-stepper> as an
// animated GIF (gifenc) and as a WebM (WebCodecs through mediabunny), both encoded in the
// elements' animation worker: time from the call to the Blob (frames built on the main thread,
// sent to the worker, scaled to 224 x 224 and encoded there), file size, and the longest
// main-thread task meanwhile. The first save of each format includes starting the worker.
// Figures only, never pass/fail on time.
import { test } from 'vitest';
import { commands } from 'vitest/browser';
import '../src/diffusion-stepper/define.js';

interface Row {
  format: string;
  frames: number;
  run: number;
  encodeMs: number;
  bytes: number;
  longestMainThreadTaskMs: number;
}

test('animation encoding benchmark', async () => {
  const element = document.createElement('genviz-diffusion-stepper');
  element.setAttribute('mode', 'reverse');
  element.setAttribute('scheduler', 'ddim');
  element.setAttribute('steps', '50');
  element.setAttribute('digit', '3');
  document.body.append(element);
  await element.updateComplete;
  await new Promise((resolve) => {
    element.addEventListener('genviz-complete', resolve, { once: true });
    element.play();
  });
  const frames = element.trajectory.length;
  const formats =
    typeof VideoEncoder === 'undefined' ? (['gif'] as const) : (['gif', 'webm'] as const);
  const rows: Row[] = [];
  for (const format of formats) {
    for (let run = 1; run <= 3; run++) {
      let longest = 0;
      const observer = new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) longest = Math.max(longest, entry.duration);
      });
      observer.observe({ type: 'longtask' });
      const started = performance.now();
      const blob = await element.saveAnimation(format);
      const encodeMs = performance.now() - started;
      observer.disconnect();
      rows.push({
        format,
        frames,
        run,
        encodeMs,
        bytes: blob.size,
        longestMainThreadTaskMs: longest,
      });
    }
  }
  element.remove();
  await commands.writeBenchResults('animation', {
    rows,
    webCodecs: typeof VideoEncoder !== 'undefined',
  });
  const table = rows.map(
    (row) =>
      `${row.format.padEnd(5)} ${row.frames} frames 224x224  run ${row.run}  ${row.encodeMs.toFixed(0).padStart(6)} ms  ${(row.bytes / 1024).toFixed(0).padStart(5)} KiB  longest main-thread task ${row.longestMainThreadTaskMs.toFixed(0)} ms (long tasks > 50 ms only; 0 = none)`,
  );
  console.info(
    `\nSaving a 50-step DDIM trajectory (wasm) as an animation${typeof VideoEncoder === 'undefined' ? ' (no WebCodecs here: no WebM)' : ''}\n${table.join('\n')}`,
  );
});
