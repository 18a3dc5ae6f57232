// `npm run bench`: <genviz-diffusion-stepper> in headless Chromium with the default models:
// time per step and per full run for each scheduler, as a reader sees them (model call,
// streaming, drawing), and the longest main-thread task while a 1000-step DDPM run draws every
// step. Figures only, never pass/fail on time. It walks the schedulers the element offers
// (`schedulerNames()`), not every one core implements, and stops at the first `genviz-error`.
import { test } from 'vitest';
import { commands } from 'vitest/browser';
import '../src/diffusion-stepper/define.js';
import { schedulerNames } from '../src/diffusion-stepper/diffusion-stepper.js';
import type { GenvizDiffusionStepper } from '../src/diffusion-stepper/diffusion-stepper.js';
import type { GenvizCompleteEvent } from '../src/diffusion-stepper/events.js';
import { ErrorWatch } from './watch.js';

interface Row {
  scheduler: string;
  steps: number;
  evaluations: number;
  fullRunMs: number;
  perStepMs: number;
  longestMainThreadTaskMs?: number;
}

async function mount(): Promise<GenvizDiffusionStepper> {
  const element = document.createElement('genviz-diffusion-stepper');
  element.setAttribute('mode', 'reverse');
  element.setAttribute('digit', '3');
  element.style.inlineSize = '720px';
  document.body.append(element);
  await element.updateComplete;
  return element;
}

function runToCompletion(
  element: GenvizDiffusionStepper,
  errors: ErrorWatch,
  scheduler: string,
): Promise<GenvizCompleteEvent> {
  const complete = errors.event<GenvizCompleteEvent>(
    element,
    'genviz-complete',
    `the ${scheduler} run's genviz-complete`,
  );
  element.play();
  return complete;
}

test('diffusion-stepper benchmark', async () => {
  const errors = new ErrorWatch();
  const element = await mount();
  const rows: Row[] = [];
  const steps = (name: string) =>
    name === 'lcm' ? 8 : name === 'ddpm' ? 1000 : name.startsWith('dpm') ? 20 : 50;
  for (const scheduler of schedulerNames()) {
    element.scheduler = scheduler;
    element.steps = steps(scheduler);
    element.reset();
    await element.updateComplete;
    // A refused setting fires genviz-error during the update: fail here, with its message.
    errors.check();
    let longest = 0;
    const observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) longest = Math.max(longest, entry.duration);
    });
    observer.observe({ type: 'longtask' });
    const started = performance.now();
    const complete = await runToCompletion(element, errors, scheduler);
    const fullRunMs = performance.now() - started;
    observer.disconnect();
    rows.push({
      scheduler,
      steps: complete.result.steps,
      evaluations: complete.result.evaluations,
      fullRunMs,
      perStepMs: complete.result.elapsedMs / complete.result.evaluations,
      longestMainThreadTaskMs: scheduler === 'ddpm' ? longest : undefined,
    });
  }
  element.remove();
  errors.stop();
  await commands.writeBenchResults('diffusion-stepper', { rows });
  const table = rows.map(
    (row) =>
      `${row.scheduler.padEnd(20)} ${String(row.steps).padStart(5)} steps ${String(row.evaluations).padStart(5)} evals ${row.perStepMs.toFixed(1).padStart(7)} ms/eval ${row.fullRunMs.toFixed(0).padStart(7)} ms run${row.longestMainThreadTaskMs === undefined ? '' : `   longest main-thread task ${row.longestMainThreadTaskMs.toFixed(0)} ms (long tasks > 50 ms only; 0 = none)`}`,
  );
  console.info(
    `\n<genviz-diffusion-stepper> reverse runs, digit 3, guidance 3 (wasm)\n${table.join('\n')}`,
  );
});
