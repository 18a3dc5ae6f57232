// Per-step cost of each scheduler (per model evaluation, i.e. per entry of `timesteps`) and RNG
// throughput. Prints a table to stdout; no pass/fail.
import { NormalGenerator, TorchGenerator, createScheduler } from '../dist/index.js';

// The DPM-Solver SDE row with noise_sampler_seed draws diffusers' noise from the Brownian tree
// (BrownianTree: a torch generator seeded per tree node) instead of the caller's generator.
const BROWNIAN_TREE_ROW = 'dpmsolver-sde (Brownian tree)';

const NAMES = [
  'ddpm',
  'ddim',
  'ddim-inverse',
  'ddim-parallel',
  'euler',
  'euler-ancestral',
  'dpmsolver++',
  'dpmsolver-singlestep',
  'dpmsolver-inverse',
  'dpmsolver-sde',
  BROWNIAN_TREE_ROW,
  'heun',
  'kdpm2',
  'kdpm2-ancestral',
  'lms',
  'pndm',
  'ipndm',
  'unipc',
  'deis',
  'edm-euler',
  'edm-dpmsolver++',
  'lcm',
  'tcd',
];
const SHAPES = [
  { label: '1x1x32x32', size: 1 * 1 * 32 * 32 },
  { label: '2x4x64x64', size: 2 * 4 * 64 * 64 },
];
const STEPS = 50;

function benchScheduler(label, size) {
  const tree = label === BROWNIAN_TREE_ROW;
  const name = tree ? 'dpmsolver-sde' : label;
  const config = tree ? { noise_sampler_seed: 0 } : { clip_sample: false };
  const scheduler = createScheduler(config, { name });
  const rng = new NormalGenerator(1);
  const sample = new Float32Array(size);
  const modelOutput = rng.fill(new Float32Array(size));
  const modelInput = new Float32Array(size);
  const out = { prevSample: sample, predOriginalSample: new Float32Array(size) };
  let steps = 0;
  let elapsed = 0;
  const run = () => {
    scheduler.setTimesteps(name === 'lcm' || name === 'tcd' ? 8 : STEPS);
    rng.fill(sample);
    const start = performance.now();
    for (const t of scheduler.timesteps) {
      scheduler.scaleModelInput(modelInput, sample, t);
      scheduler.step(modelOutput, t, sample, out, tree ? undefined : rng);
    }
    return performance.now() - start;
  };
  // Untimed runs until the JIT has settled (>= 20 runs and 100 ms), then >= 5 timed runs and 200 ms.
  for (let runs = 0, spent = 0; runs < 20 || spent < 100; runs++) spent += run();
  for (let runs = 0; runs < 5 || elapsed < 200; runs++) {
    elapsed += run();
    steps += scheduler.timesteps.length;
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
function medianFillMs(generator) {
  generator.fill(normals);
  const times = [];
  for (let i = 0; i < 5; i++) {
    const start = performance.now();
    generator.fill(normals);
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return Number(times[2].toFixed(1));
}
console.table([
  {
    rng: 'NormalGenerator.fill',
    'ms per 1e6 normals (median of 5)': medianFillMs(new NormalGenerator(7)),
  },
  {
    rng: 'TorchGenerator.fill',
    'ms per 1e6 normals (median of 5)': medianFillMs(new TorchGenerator(7)),
  },
]);
