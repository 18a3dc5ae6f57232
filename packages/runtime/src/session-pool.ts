import * as ort from 'onnxruntime-web';
import type { Device } from './environment.js';
import { GenvizError } from './errors.js';

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
export function configureOrt(wasmThreads: number): void {
  if (configured) return;
  configured = true;
  ort.env.wasm.numThreads = wasmThreads;
  ort.env.logLevel = 'error';
}

export interface PooledSession {
  key: string;
  device: Device;
  session: ort.InferenceSession;
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

async function watchGpuDevice(): Promise<void> {
  if (gpuDeviceLost) return;
  const device = (await ort.env.webgpu.device) as {
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

const sessions = new Map<string, Promise<PooledSession>>();
let created = 0;

/** How many sessions this worker has created, for tests and the benchmark. */
export function sessionsCreated(): number {
  return created;
}

/** One session per model file and device per worker, shared by every caller that asks. */
export function getSession(
  key: string,
  device: Device,
  bytes: () => Promise<Uint8Array>,
): Promise<PooledSession> {
  const poolKey = `${device}:${key}`;
  let pending = sessions.get(poolKey);
  if (!pending) {
    pending = (async () => {
      const fetchStarted = performance.now();
      const model = await bytes();
      const createStarted = performance.now();
      const session = await serialized(async () => {
        try {
          return await ort.InferenceSession.create(model, {
            executionProviders: [device],
            graphOptimizationLevel: 'all',
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
      if (device === 'webgpu') await watchGpuDevice();
      return {
        fetchMs: createStarted - fetchStarted,
        createMs: performance.now() - createStarted,
        key,
        device,
        session,
        inputNames: session.inputNames,
        outputNames: session.outputNames,
      };
    })();
    sessions.set(poolKey, pending);
    pending.catch(() => sessions.delete(poolKey));
  }
  return pending;
}

export function hasSession(key: string, device: Device): boolean {
  return sessions.has(`${device}:${key}`);
}

export function dropSession(key: string, device: Device): void {
  const poolKey = `${device}:${key}`;
  const pending = sessions.get(poolKey);
  sessions.delete(poolKey);
  void pending?.then((pooled) => pooled.session.release()).catch(() => undefined);
}

export type Feeds = Record<string, ort.Tensor>;

export function run(
  pooled: PooledSession,
  feeds: Feeds,
): Promise<ort.InferenceSession.OnnxValueMapType> {
  return serialized(() =>
    pooled.device === 'webgpu' && gpuDeviceLost
      ? Promise.race([pooled.session.run(feeds), gpuDeviceLost])
      : pooled.session.run(feeds),
  );
}

export { ort };
