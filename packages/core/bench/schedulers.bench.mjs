// Per-step cost of each scheduler and RNG throughput. Prints a table to stdout; no pass/fail.
import { NormalGenerator, createScheduler } from '../dist/index.js';

const NAMES = [
  'ddpm',
  'ddim',
  'euler',
  'euler-ancestral',
  'dpmsolver++',
  'heun',
  'lms',
  'pndm',
  'unipc',
  'deis',
  'lcm',
];
const SHAPES = [
  { label: '1x1x32x32', size: 1 * 1 * 32 * 32 },
  { label: '2x4x64x64', size: 2 * 4 * 64 * 64 },
];
const STEPS = 50;

function benchScheduler(name, size) {
  const scheduler = createScheduler({ clip_sample: false }, { name });
  const rng = new NormalGenerator(1);
  const sample = new Float32Array(size);
  const modelOutput = rng.fill(new Float32Array(size));
  const modelInput = new Float32Array(size);
  const out = { prevSample: sample, predOriginalSample: new Float32Array(size) };
  let steps = 0;
  let elapsed = 0;
  for (let run = 0; run < 3; run++) {
    scheduler.setTimesteps(name === 'lcm' ? 8 : STEPS);
    rng.fill(sample);
    const start = performance.now();
    for (const t of scheduler.timesteps) {
      scheduler.scaleModelInput(modelInput, sample, t);
      scheduler.step(modelOutput, t, sample, out, rng);
    }
    if (run > 0) {
      elapsed += performance.now() - start;
      steps += scheduler.timesteps.length;
    }
  }
  return (elapsed / steps) * 1000;
}

const rows = NAMES.map((name) => ({
  scheduler: name,
  ...Object.fromEntries(
    SHAPES.map(({ label, size }) => [
      `µs/step ${label}`,
      Number(benchScheduler(name, size).toFixed(1)),
    ]),
  ),
}));
console.table(rows);

const normals = new Float32Array(1_000_000);
const rng = new NormalGenerator(7);
rng.fill(normals);
const times = [];
for (let i = 0; i < 5; i++) {
  const start = performance.now();
  rng.fill(normals);
  times.push(performance.now() - start);
}
times.sort((a, b) => a - b);
console.table([
  { rng: 'NormalGenerator.fill', 'ms per 1e6 normals (median of 5)': Number(times[2].toFixed(1)) },
]);
