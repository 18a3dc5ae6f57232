// `npm run bench`: every benchmark in turn. Figures only, never pass/fail on time; JSON lands
// in bench-results/. Run `npm run build` first (the default models must be built).
//
// `npm run bench -- latent-explorer many-elements`: only the browser benchmarks whose file name
// contains one of the words (packages/*/bench/*.browser-bench.ts), nothing else.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const run = (title, command, args, options = {}) => {
  console.log(`\n=== ${title}`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', ...options });
  if (result.status !== 0) console.log(`(${title} exited with ${result.status})`);
};

const filters = process.argv.slice(2);
if (filters.length > 0) {
  run(`browser benchmarks matching ${filters.join(', ')}`, 'npx', [
    'vitest',
    'run',
    '--config',
    'vitest.bench.config.ts',
    '--silent=false',
    ...filters,
  ]);
  process.exit(0);
}

run('core: scheduler step cost and RNG throughput', 'npm', ['run', 'bench', '-w', '@genviz/core']);
run('runtime: headless Chromium, default models', 'npx', [
  'vitest',
  'run',
  '--config',
  'vitest.bench.config.ts',
  '--silent=false',
]);
run('onnxruntime-node: the same models in Node', 'node', ['scripts/bench-ort-node.mjs']);
if (existsSync(resolve(root, 'tools/model-export/bench/scale.mjs'))) {
  run('model-export: a few-hundred-MB synthetic checkpoint', 'node', [
    'tools/model-export/bench/scale.mjs',
  ]);
}
// PyTorch, where this machine has it (Python is never needed by the build or the tests).
const torch = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' });
if (torch.status === 0 && existsSync(resolve(root, 'models/bench_torch.py'))) {
  run('PyTorch (CPU) on the same checkpoints', '/usr/bin/python3', ['models/bench_torch.py']);
} else {
  console.log('\n=== PyTorch: not installed here, skipped');
}
