// `npm run bench`: twenty-one elements on one page, seven of each, all running at once on the
// page's shared runtime (one worker): steppers sampling (reverse, DDIM 50 steps, autoplay),
// duels dealing their first round, explorers loading the map and decoding. The page's main
// thread is watched from the first element mounted until every one is done: the longest task
// and the number of tasks over 50 ms (the Long Tasks API), and where its time went (Chromium's
// sampling profiler over CDP: the functions with the most self time). Figures only, never
// pass/fail on time.
import { test } from 'vitest';
import { commands } from 'vitest/browser';
import '../src/define.js';
import type { GenvizDiffusionStepper } from '../src/diffusion-stepper/diffusion-stepper.js';
import type { GenvizGanDuel } from '../src/gan-duel/gan-duel.js';
import type { GenvizLatentExplorer } from '../src/latent-explorer/latent-explorer.js';
import type {} from '../src/testing/node-commands.js';
import { ErrorWatch } from './watch.js';

const EACH = 7;

test('21 elements on one page: main-thread long tasks', async () => {
  const errors = new ErrorWatch();
  const tasks: { start: number; duration: number }[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      tasks.push({ start: entry.startTime, duration: entry.duration });
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
  await commands.cpuProfile('start');
  const started = performance.now();
  requestAnimationFrame(watchFrames);

  const page = document.createElement('main');
  page.style.inlineSize = '900px';
  document.body.append(page);
  const steppers: GenvizDiffusionStepper[] = [];
  const duels: GenvizGanDuel[] = [];
  const explorers: GenvizLatentExplorer[] = [];
  const completed = new Set<Element>();
  for (let i = 0; i < EACH; i++) {
    const stepper = document.createElement('genviz-diffusion-stepper');
    stepper.setAttribute('mode', 'reverse');
    stepper.setAttribute('autoplay', '');
    stepper.seed = i;
    stepper.addEventListener('genviz-complete', () => completed.add(stepper));
    const duel = document.createElement('genviz-gan-duel');
    duel.seed = i;
    const explorer = document.createElement('genviz-latent-explorer');
    explorer.x = -2 + i * 0.6;
    page.append(stepper, duel, explorer);
    steppers.push(stepper);
    duels.push(duel);
    explorers.push(explorer);
  }
  await errors.until(
    () =>
      steppers.every((stepper) => completed.has(stepper)) &&
      duels.every((duel) => duel.round !== undefined) &&
      explorers.every((explorer) => explorer.decoded !== undefined && explorer.previewReady),
    'every element done',
    900_000,
  );
  const doneMs = performance.now() - started;
  // The last frames and tasks of the work just finished.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  watching = false;
  observer.disconnect();
  // The profile twice over: everything, and only the samples inside the long tasks.
  const stopAt = performance.now();
  const windows = tasks.map((task): [number, number] => [
    task.start - stopAt,
    task.start - stopAt + task.duration,
  ]);
  const { all: profile, inWindows: inLongTasks } = await commands.cpuProfile('stop', windows);
  errors.stop();
  page.remove();

  const longest = Math.max(0, ...tasks.map((task) => task.duration));
  const result = {
    elements: 3 * EACH,
    doneMs,
    longestTaskMs: longest,
    tasksOver50Ms: tasks.length,
    longTaskTotalMs: tasks.reduce((sum, task) => sum + task.duration, 0),
    longestFrameGapMs: longestGap,
    longTasks: tasks.map((task) => ({
      atMs: Math.round(task.start - started),
      ms: Math.round(task.duration),
    })),
    topSelfTime: profile.slice(0, 25),
    topSelfTimeInLongTasks: inLongTasks.slice(0, 25),
    targets: { longestTask: 'no task over 50 ms' },
  };
  await commands.writeBenchResults('many-elements', result);
  console.info(
    `\n21 elements on one page (7 steppers sampling, 7 duels, 7 explorers; one worker), until all done in ${doneMs.toFixed(0)} ms:\n` +
      `  longest main-thread task ${longest.toFixed(0)} ms, ${tasks.length} tasks over 50 ms (${result.longTaskTotalMs.toFixed(0)} ms in all; target none), longest gap between frames ${longestGap.toFixed(0)} ms\n` +
      `  long tasks (start ms: duration ms): ${result.longTasks.map((task) => `${task.atMs}:${task.ms}`).join(' ')}\n` +
      `  main-thread self time (CPU profile):\n${profile
        .slice(0, 25)
        .map((row) => `    ${row.selfMs.toFixed(0).padStart(7)} ms  ${row.name}`)
        .join('\n')}\n` +
      `  of which inside the long tasks:\n${inLongTasks
        .slice(0, 20)
        .map((row) => `    ${row.selfMs.toFixed(0).padStart(7)} ms  ${row.name}`)
        .join('\n')}`,
  );
});
