import * as Comlink from 'comlink';
import { afterAll, describe, expect, test } from 'vitest';
import type { ChainWorker } from './fixtures/ort-chain-worker.js';

// Same numbers as fixtures/make-affine-model.mjs, which wrote affine-relu.onnx.
const weights = [0.5, -1, 0.25, 1, 0.5, -0.5, -0.75, 0.25, 1, 0.1, 0.2, 0.3];
const bias = [0.1, -0.2, 0.05];
function affineRelu(input: Float32Array, batch: number): number[] {
  const out: number[] = [];
  for (let n = 0; n < batch; n++) {
    for (let j = 0; j < 3; j++) {
      let sum = bias[j]!;
      for (let i = 0; i < 4; i++) sum += input[n * 4 + i]! * weights[i * 3 + j]!;
      out.push(Math.max(0, sum));
    }
  }
  return out;
}

const worker = new Worker(new URL('./fixtures/ort-chain-worker.ts', import.meta.url), {
  type: 'module',
});
const chain = Comlink.wrap<ChainWorker>(worker);
afterAll(() => worker.terminate());

async function loadModel(): Promise<Uint8Array> {
  const response = await fetch(new URL('./fixtures/affine-relu.onnx', import.meta.url));
  return new Uint8Array(await response.arrayBuffer());
}

describe('onnxruntime-web in a Comlink worker', () => {
  const batch = 3;
  const input = Float32Array.from({ length: batch * 4 }, (_, i) => Math.sin(i) * 2);
  const expected = affineRelu(input, batch);

  for (const device of ['wasm', 'webgpu'] as const) {
    test(`runs a model on the ${device} execution provider`, async () => {
      if (device === 'webgpu') {
        // The test browser runs with SwiftShader's WebGPU: there must be an adapter.
        expect(await chain.webgpuAdapter()).not.toBeNull();
      }
      const model = await loadModel();
      const { dims, output } = await chain.run(
        Comlink.transfer(model, [model.buffer]),
        device,
        input.slice(),
        batch,
      );
      expect(dims).toEqual([batch, 3]);
      expect(output).toHaveLength(expected.length);
      expected.forEach((value, index) =>
        expect(output[index], `element ${index}`).toBeCloseTo(value, 5),
      );
    });
  }
});
