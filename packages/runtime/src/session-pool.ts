import * as ortWebgpu from 'onnxruntime-web';
import * as ortWasm from 'onnxruntime-web/wasm';
import type { Device } from './environment.js';
import { GenvizError } from './errors.js';

/**
 * Two onnxruntime-web builds, one per device (docs/decisions/0004):
 * - WASM sessions run on `onnxruntime-web/wasm`, the plain SIMD build (14 MB of WASM). Measured
 *   here in headless Chromium, against the default bundle's WebGPU-enabled (JSEP, asyncify)
 *   build of 28 MB: VAE decode of 64 latents 14 ms instead of 60-67 ms, the UNet step 20 ms
 *   instead of 23-24 ms, and the cold first image 0.5-0.67 s instead of 1.1-1.2 s (half the
 *   bytes to download and compile).
 * - WebGPU sessions run on the default `onnxruntime-web` bundle. Its JavaScript is imported
 *   statically (a dynamic import would force bundlers to split the worker, which Vite's default
 *   worker format refuses), but its WASM binary is fetched and compiled only when the first
 *   WebGPU session is created: pages that never use WebGPU never download it.
 */
type Ort = typeof ortWasm;
export type OnnxOutputs = ortWasm.InferenceSession.OnnxValueMapType;

function ortFor(device: Device): Ort {
  return device === 'wasm' ? ortWasm : (ortWebgpu as Ort);
}

function configureModule(module: Ort, threads: number): void {
  module.env.wasm.numThreads = threads;
  module.env.logLevel = 'error';
}

/**
 * onnxruntime-web fails when two sessions are created or run at once on the same backend, so
 * every create and run in this worker goes through one queue. (transformers.js does the same.)
 */
let queue: Promise<unknown> = Promise.resolve();
export function serialized<T>(job: () => Promise<T>): Promise<T> {
  const result = queue.then(job, job);
  queue = result.catch(() => undefined);
  return result;
}

let configured = false;
export function configureOrt(threads: number): void {
  if (configured) return;
  configured = true;
  configureModule(ortWasm, threads);
  configureModule(ortWebgpu as Ort, threads);
}

/** An input tensor, built with the onnxruntime-web build of the session that runs it. */
export type FeedSpec =
  | { type: 'float32'; data: Float32Array; dims: readonly number[] }
  | { type: 'int64'; data: BigInt64Array; dims: readonly number[] };
export type Feeds = Record<string, FeedSpec>;

export interface PooledSession {
  key: string;
  device: Device;
  session: ortWasm.InferenceSession;
  ort: Ort;
  inputNames: readonly string[];
  outputNames: readonly string[];
  /** Milliseconds spent fetching (or reading from cache) and verifying the file. */
  fetchMs: number;
  /** Milliseconds InferenceSession.create took (graph optimisation, kernel setup). */
  createMs: number;
}

/**
 * Rejects when onnxruntime-web's GPU device is lost (a driver reset, a GPU process crash): a
 * run on a lost device never settles, so WebGPU runs race it instead of hanging the queue.
 */
let gpuDeviceLost: Promise<never> | undefined;

async function watchGpuDevice(module: Ort): Promise<void> {
  if (gpuDeviceLost) return;
  const device = (await module.env.webgpu.device) as {
    lost: Promise<{ message: string; reason?: string }>;
  };
  gpuDeviceLost = device.lost.then((info) => {
    throw new GenvizError(
      'unsupported-device',
      `The GPU device was lost (${info.reason ?? 'unknown'}: ${info.message}).`,
    );
  });
  gpuDeviceLost.catch(() => undefined);
}

/**
 * Destroys onnxruntime-web's GPU device, as a driver reset would. Resolves false when no
 * WebGPU session was ever created (so there is no device to lose).
 */
export async function destroyGpuDevice(): Promise<boolean> {
  if (!webgpuSessionCreated) return false;
  const module = ortFor('webgpu');
  const device = (await Promise.race([
    module.env.webgpu.device,
    new Promise((resolve) => setTimeout(resolve, 1000, undefined)),
  ])) as { destroy(): void } | undefined;
  device?.destroy();
  return device !== undefined;
}

const sessions = new Map<string, Promise<PooledSession>>();
let created = 0;
let webgpuSessionCreated = false;

/** How many sessions this worker has created, for tests and the benchmark. */
export function sessionsCreated(): number {
  return created;
}

/** One session per model file and device per worker, shared by every caller that asks. */
export function getSession(
  key: string,
  device: Device,
  bytes: () => Promise<Uint8Array>,
  options: {
    /**
     * An int8 (QDQ) model on WASM: fold its DequantizeLinear nodes into fp32 weights at load
     * (`session.disable_quant_qdq`), instead of dequantizing every weight at every run.
     */
    foldDequantize?: boolean;
  } = {},
): Promise<PooledSession> {
  const poolKey = `${device}:${key}`;
  let pending = sessions.get(poolKey);
  if (!pending) {
    pending = (async () => {
      const fetchStarted = performance.now();
      const model = await bytes();
      const createStarted = performance.now();
      const module = ortFor(device);
      const session = await serialized(async () => {
        try {
          return await module.InferenceSession.create(model, {
            executionProviders: [device],
            graphOptimizationLevel: 'all',
            ...(options.foldDequantize ? { extra: { session: { disable_quant_qdq: '1' } } } : {}),
          });
        } catch (cause) {
          const message = cause instanceof Error ? cause.message : String(cause);
          throw new GenvizError(
            device === 'webgpu' ? 'unsupported-device' : 'runtime-error',
            `onnxruntime-web could not load ${key} on ${device}: ${message}`,
            { cause, detail: key },
          );
        }
      });
      created += 1;
      if (device === 'webgpu') {
        webgpuSessionCreated = true;
        await watchGpuDevice(module);
      }
      return {
        fetchMs: createStarted - fetchStarted,
        createMs: performance.now() - createStarted,
        key,
        device,
        session,
        ort: module,
        inputNames: session.inputNames,
        outputNames: session.outputNames,
      };
    })();
    sessions.set(poolKey, pending);
    pending.catch(() => sessions.delete(poolKey));
  }
  return pending;
}

export function run(pooled: PooledSession, feeds: Feeds): Promise<OnnxOutputs> {
  const tensors: Record<string, ortWasm.Tensor> = {};
  for (const [name, spec] of Object.entries(feeds)) {
    tensors[name] =
      spec.type === 'int64'
        ? new pooled.ort.Tensor('int64', spec.data, spec.dims)
        : new pooled.ort.Tensor('float32', spec.data, spec.dims);
  }
  return serialized(() =>
    pooled.device === 'webgpu' && gpuDeviceLost
      ? Promise.race([pooled.session.run(tensors), gpuDeviceLost])
      : pooled.session.run(tensors),
  );
}
