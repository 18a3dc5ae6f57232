import * as Comlink from 'comlink';
import {
  NormalGenerator,
  addNoise,
  applyGuidance,
  createScheduler,
  scheduleFromConfig,
  snrAt,
} from '@genviz/core';
import { chooseDevice, detectEnvironment } from './environment.js';
import type { DeviceChoice, DeviceOption, DtypeOption, EnvironmentReport } from './environment.js';
import { GPU_LOST, GenvizError, abortedError } from './errors.js';
import { findVariant, parseManifest } from './manifest.js';
import type { ModelManifest, ModelVariant, NoiseSchedule, SchedulerConfigJson } from '@genviz/core';
import { fetchModelFile } from './model-store.js';
import type { FileProgress } from './model-store.js';
import {
  configureOrt,
  destroyGpuDevice,
  getSession,
  run,
  sessionsCreated,
} from './session-pool.js';
import type { Feeds, OnnxOutputs, PooledSession } from './session-pool.js';

/** Per-call options that cross the boundary: the model, where to run it, and a call id for abort. */
export interface CallOptions {
  /** Manifest URL (absolute). */
  manifestUrl: string;
  device?: DeviceOption;
  dtype?: DtypeOption;
  /** Set by the client; `abort(callId)` stops the call between steps. */
  callId?: number;
  /** Set by the client after a GPU device loss: WebGPU is off for this page. */
  gpuLost?: boolean;
}

/** Callbacks cross the boundary as Comlink proxies, which must be top-level arguments. */
export type ProgressCallback = (progress: ModelProgress) => void;

/** Model loading progress: each file's progress plus totals over the model's files. */
export type ModelProgress = FileProgress & {
  model: string;
  loadedBytes: number;
  totalBytes: number;
};

export interface LoadedModel {
  manifest: ModelManifest;
  choice: DeviceChoice;
  environment: EnvironmentReport;
  /** Per network: fetch (or cache read) and verify, session creation, and the warm-up run, in ms. */
  timings?: Record<string, { fetchMs: number; createMs: number; warmupMs: number }>;
}

export interface DiffusionSampleOptions extends CallOptions {
  /** A friendly scheduler name (`ddpm`, `ddim`, `euler`, `euler-ancestral`, `dpmsolver++`, ...) or diffusers class. */
  scheduler: string;
  steps: number;
  seed: number;
  /** The digit to draw, or null for the unconditional model. */
  classLabel: number | null;
  guidanceScale: number;
  /** Images sampled at once (default 1). */
  batch?: number;
  /** Stream every k-th step (and always the last); 0 streams nothing. Default 1. */
  every?: number;
  /** Also stream the unconditional and conditional noise predictions (guidance made visible). */
  includeGuidance?: boolean;
  /** DDIM / DDPM-family eta. */
  eta?: number;
}

export type StepCallback = (update: DiffusionStep) => void | Promise<void>;

export interface DiffusionStep {
  /** 0-based index of the step within the run. */
  index: number;
  steps: number;
  timestep: number;
  /** x_t after this step (the next, less noisy sample). */
  sample: Float32Array;
  /** The noise the model predicted at this step (after guidance). */
  noise: Float32Array;
  /** The scheduler's estimate of the clean image at this step. */
  predictedOriginal: Float32Array;
  unconditionalNoise?: Float32Array;
  conditionalNoise?: Float32Array;
  evaluations: number;
  elapsedMs: number;
}

export interface DiffusionResult {
  sample: Float32Array;
  shape: number[];
  evaluations: number;
  steps: number;
  elapsedMs: number;
  device: DeviceChoice;
}

const NULL_CLASS = 10;

function abortCheck(aborted: Set<number>, callId: number | undefined): void {
  if (callId !== undefined && aborted.has(callId)) throw abortedError();
}

function shapeOf(manifest: ModelManifest, network: string, input: string): number[] {
  const spec = manifest.networks[network]?.inputs.find((candidate) => candidate.name === input);
  if (!spec)
    throw new GenvizError(
      'invalid-argument',
      `${manifest.id} has no input ${input} on ${network}.`,
    );
  return spec.shape.map((dim) => (typeof dim === 'number' ? dim : -1));
}

function checkBatch(values: Float32Array, perItem: number, what: string): number {
  if (values.length === 0 || values.length % perItem !== 0) {
    throw new GenvizError(
      'invalid-argument',
      `${what}: ${values.length} values is not a whole number of items of ${perItem} values each.`,
      { detail: what },
    );
  }
  return values.length / perItem;
}

/**
 * The API the worker exposes through Comlink. Pipelines run here, off the main thread: the
 * diffusion loop calls the UNet and the core scheduler in turn and streams steps back.
 */
export class WorkerApi {
  #manifests = new Map<string, Promise<ModelManifest>>();
  /** Calls that can stop between steps, while they run; abort() marks one of them. */
  #abortable = new Set<number>();
  #aborted = new Set<number>();

  /**
   * Stops a running call at its next step. Messages arrive in the order they were posted, so
   * a call is always registered before its abort arrives; an abort that comes after the call
   * settled finds nothing to mark, and nothing is left behind to clean up (no extra message).
   */
  abort(callId: number): void {
    if (this.#abortable.has(callId)) this.#aborted.add(callId);
  }

  async environment(): Promise<EnvironmentReport> {
    return detectEnvironment();
  }

  stats(): { sessionsCreated: number } {
    return { sessionsCreated: sessionsCreated() };
  }

  /**
   * Destroys onnxruntime-web's GPU device, as a driver reset or a lost tab would: the next
   * WebGPU run fails and the runtime must fall back to WASM. For tests and demos of that path.
   */
  loseGpuDevice(): Promise<boolean> {
    return destroyGpuDevice();
  }

  async #manifest(url: string): Promise<ModelManifest> {
    let pending = this.#manifests.get(url);
    if (!pending) {
      pending = (async () => {
        let response: Response;
        try {
          response = await fetch(url);
        } catch (cause) {
          throw new GenvizError(
            'model-not-found',
            `Could not fetch the model manifest ${url}: the network request failed.`,
            {
              cause,
              detail: url,
            },
          );
        }
        if (!response.ok) {
          throw new GenvizError(
            'model-not-found',
            `Could not fetch the model manifest ${url}: HTTP ${response.status}.`,
            {
              detail: url,
            },
          );
        }
        let json: unknown;
        try {
          json = await response.json();
        } catch (cause) {
          throw new GenvizError(
            'invalid-argument',
            `The model manifest ${url} is not valid JSON.`,
            { cause, detail: url },
          );
        }
        return parseManifest(json, url);
      })();
      this.#manifests.set(url, pending);
      pending.catch(() => this.#manifests.delete(url));
    }
    return pending;
  }

  async #session(
    options: CallOptions,
    network: string,
    variants?: readonly ModelVariant[],
    onProgress?: ProgressCallback,
  ): Promise<{ pooled: PooledSession; loaded: LoadedModel }> {
    const environment = await detectEnvironment();
    configureOrt(environment.wasmThreads);
    const manifest = await this.#manifest(options.manifestUrl);
    if (!manifest.networks[network]) {
      throw new GenvizError(
        'invalid-argument',
        `The model ${manifest.id} has no ${network} network (it is a ${manifest.task} model).`,
        {
          detail: network,
        },
      );
    }
    let choice = chooseDevice(
      environment,
      manifest,
      network,
      options.device ?? 'auto',
      options.dtype ?? 'auto',
    );
    if (options.gpuLost && choice.device === 'wasm') {
      choice = {
        ...choice,
        reason: `WASM: the GPU device was lost earlier${choice.reason.slice(choice.reason.indexOf(','))}`,
      };
    }
    const variant = findVariant(variants ?? manifest.networks[network]!.variants, choice.dtype);
    if (!variant) {
      throw new GenvizError(
        'invalid-argument',
        `The model ${manifest.id} has no ${choice.dtype} file for ${network}.`,
        { detail: 'dtype' },
      );
    }
    const url = new URL(variant.file, options.manifestUrl).href;
    const pooled = await getSession(`${url}#${variant.sha256}`, choice.device, () =>
      fetchModelFile({
        url,
        sha256: variant.sha256,
        bytes: variant.bytes,
        onProgress: onProgress
          ? (progress) => {
              const loadedBytes =
                progress.status === 'downloading' ? progress.loaded : variant.bytes;
              void onProgress({
                ...progress,
                model: manifest.id,
                loadedBytes,
                totalBytes: variant.bytes,
              });
            }
          : undefined,
      }),
    );
    return { pooled, loaded: { manifest, choice, environment } };
  }

  /**
   * Runs a session. A WebGPU run that fails (a lost device) cannot be retried in this worker:
   * onnxruntime-web's WebGPU backend stays bound to the dead device and later runs, WASM ones
   * included, never settle. So it fails with detail `gpu-lost`, and the client replaces the
   * worker and repeats the call on WASM.
   */
  async #run(
    options: CallOptions,
    network: string,
    feeds: () => Feeds,
    variants?: readonly ModelVariant[],
    onProgress?: ProgressCallback,
  ): Promise<{ outputs: OnnxOutputs; loaded: LoadedModel }> {
    const { pooled, loaded } = await this.#session(options, network, variants, onProgress);
    try {
      return { outputs: await run(pooled, feeds()), loaded };
    } catch (cause) {
      if (pooled.device !== 'webgpu') throw cause;
      const message = cause instanceof Error ? cause.message : String(cause);
      throw new GenvizError('unsupported-device', `The WebGPU run failed: ${message}`, {
        cause,
        detail: GPU_LOST,
      });
    }
  }

  /** Fetches, verifies and opens a model's sessions, and warms each with one run. */
  async load(options: CallOptions, onProgress?: ProgressCallback): Promise<LoadedModel> {
    const manifest = await this.#manifest(options.manifestUrl);
    let loaded: LoadedModel | undefined;
    const timings: NonNullable<LoadedModel['timings']> = {};
    for (const network of Object.keys(manifest.networks)) {
      const { pooled, loaded: result } = await this.#session(
        options,
        network,
        undefined,
        onProgress,
      );
      loaded ??= result;
      const warmStarted = performance.now();
      await this.#warm(pooled, manifest, network);
      timings[network] = {
        fetchMs: pooled.fetchMs,
        createMs: pooled.createMs,
        warmupMs: performance.now() - warmStarted,
      };
    }
    return { ...loaded!, timings };
  }

  /** A model's first run costs ~10x a steady one (kernel selection, allocation): pay it up front. */
  async #warm(pooled: PooledSession, manifest: ModelManifest, network: string): Promise<void> {
    const spec = manifest.networks[network]!;
    const feeds: Feeds = {};
    for (const input of spec.inputs) {
      const dims = input.shape.map((dim) => (typeof dim === 'number' ? dim : 1));
      const size = dims.reduce((a, b) => a * b, 1);
      feeds[input.name] =
        input.dtype === 'int64'
          ? { type: 'int64', data: new BigInt64Array(size), dims }
          : { type: 'float32', data: new Float32Array(size), dims };
    }
    await run(pooled, feeds);
  }

  async classify(
    options: CallOptions,
    images: Float32Array,
    onProgress?: ProgressCallback,
  ): Promise<Float32Array> {
    const batch = checkBatch(images, 784, 'classify images');
    const { outputs } = await this.#run(
      options,
      'classifier',
      () => ({ image: { type: 'float32', data: images, dims: [batch, 1, 28, 28] } }),
      undefined,
      onProgress,
    );
    const logits = outputs.logits!.data as Float32Array;
    const classes = logits.length / batch;
    const probabilities = new Float32Array(logits.length);
    for (let n = 0; n < batch; n++) {
      let max = -Infinity;
      for (let k = 0; k < classes; k++) max = Math.max(max, logits[n * classes + k]!);
      let sum = 0;
      for (let k = 0; k < classes; k++)
        sum += probabilities[n * classes + k] = Math.exp(logits[n * classes + k]! - max);
      for (let k = 0; k < classes; k++) probabilities[n * classes + k]! /= sum;
    }
    return Comlink.transfer(probabilities, [probabilities.buffer]);
  }

  async vaeEncode(
    options: CallOptions,
    images: Float32Array,
    onProgress?: ProgressCallback,
  ): Promise<{ mean: Float32Array; logvar: Float32Array }> {
    const batch = checkBatch(images, 784, 'encode images');
    const { outputs } = await this.#run(
      options,
      'encoder',
      () => ({ image: { type: 'float32', data: images, dims: [batch, 1, 28, 28] } }),
      undefined,
      onProgress,
    );
    const mean = outputs.mean!.data as Float32Array;
    const logvar = outputs.logvar!.data as Float32Array;
    return Comlink.transfer({ mean, logvar }, [mean.buffer, logvar.buffer]);
  }

  async vaeDecode(
    options: CallOptions,
    latents: Float32Array,
    onProgress?: ProgressCallback,
  ): Promise<Float32Array> {
    const manifest = await this.#manifest(options.manifestUrl);
    const latentSize = shapeOf(manifest, 'decoder', 'latent')[1]!;
    const batch = checkBatch(latents, latentSize, 'decode latents');
    const { outputs } = await this.#run(
      options,
      'decoder',
      () => ({ latent: { type: 'float32', data: latents, dims: [batch, latentSize] } }),
      undefined,
      onProgress,
    );
    const image = outputs.image!.data as Float32Array;
    return Comlink.transfer(image, [image.buffer]);
  }

  async ganGenerate(
    options: CallOptions & { snapshot?: number },
    latents: Float32Array,
    onProgress?: ProgressCallback,
  ): Promise<Float32Array> {
    const manifest = await this.#manifest(options.manifestUrl);
    const latentSize = shapeOf(manifest, 'generator', 'latent')[1]!;
    const batch = checkBatch(latents, latentSize, 'generate latents');
    let variants: readonly ModelVariant[] | undefined;
    if (options.snapshot !== undefined) {
      const snapshot = manifest.snapshots?.find(
        (candidate) => candidate.index === options.snapshot,
      );
      if (!snapshot) {
        const known = manifest.snapshots?.map((candidate) => candidate.index).join(', ') ?? 'none';
        throw new GenvizError(
          'invalid-argument',
          `The model ${manifest.id} has no snapshot ${options.snapshot} (it has ${known}).`,
          {
            detail: 'snapshot',
          },
        );
      }
      variants = snapshot.variants;
    }
    const { outputs } = await this.#run(
      options,
      'generator',
      () => ({ latent: { type: 'float32', data: latents, dims: [batch, latentSize] } }),
      variants,
      onProgress,
    );
    const image = outputs.image!.data as Float32Array;
    return Comlink.transfer(image, [image.buffer]);
  }

  async ganDiscriminate(
    options: CallOptions,
    images: Float32Array,
    onProgress?: ProgressCallback,
  ): Promise<Float32Array> {
    const batch = checkBatch(images, 784, 'discriminate images');
    const { outputs } = await this.#run(
      options,
      'discriminator',
      () => ({ image: { type: 'float32', data: images, dims: [batch, 1, 28, 28] } }),
      undefined,
      onProgress,
    );
    const logits = outputs.logit!.data as Float32Array;
    const probabilities = logits.map((logit) => 1 / (1 + Math.exp(-logit)));
    return Comlink.transfer(probabilities, [probabilities.buffer]);
  }

  /** The forward process of any image: x_t for each t from one seeded noise draw. */
  async diffusionForward(
    options: CallOptions & { image: Float32Array; timesteps: number[]; seed: number },
  ): Promise<{
    samples: Float32Array[];
    noise: Float32Array;
    snr: number[];
    alphasCumprod: Float32Array;
  }> {
    const manifest = await this.#manifest(options.manifestUrl);
    const schedule = this.#schedule(manifest);
    const { image, timesteps } = options;
    const noise = new Float32Array(image.length);
    new NormalGenerator(options.seed).fill(noise);
    const samples = timesteps.map((t) => {
      if (!Number.isInteger(t) || t < 0 || t > schedule.alphasCumprod.length) {
        throw new GenvizError(
          'invalid-argument',
          `timestep ${t} is outside [0, ${schedule.alphasCumprod.length}].`,
          { detail: 'timesteps' },
        );
      }
      // t = 0 is the clean image; t = T uses the last trained step.
      if (t === 0) return image.slice();
      return addNoise(new Float32Array(image.length), image, noise, t - 1, schedule);
    });
    const snr = timesteps.map((t) => (t === 0 ? Infinity : snrAt(schedule, t - 1)));
    const alphasCumprod = Float32Array.from(schedule.alphasCumprod);
    return Comlink.transfer({ samples, noise, snr, alphasCumprod }, [
      ...samples.map((s) => s.buffer),
      noise.buffer,
      alphasCumprod.buffer,
    ]);
  }

  #schedule(manifest: ModelManifest): NoiseSchedule {
    if (!manifest.scheduler)
      throw new GenvizError(
        'invalid-argument',
        `The model ${manifest.id} has no scheduler configuration.`,
      );
    return scheduleFromConfig(manifest.scheduler as SchedulerConfigJson);
  }

  /** Samples from a class-conditional diffusion model with a core scheduler, streaming steps. */
  diffusionSample(
    options: DiffusionSampleOptions,
    onStep?: StepCallback,
    onProgress?: ProgressCallback,
  ): Promise<DiffusionResult> {
    const { callId } = options;
    // Registered synchronously, before this message's handler yields, so that an abort posted
    // after this call always finds it.
    if (callId !== undefined) this.#abortable.add(callId);
    return this.#sample(options, onStep, onProgress).finally(() => {
      if (callId === undefined) return;
      this.#abortable.delete(callId);
      this.#aborted.delete(callId);
    });
  }

  async #sample(
    options: DiffusionSampleOptions,
    onStep?: StepCallback,
    onProgress?: ProgressCallback,
  ): Promise<DiffusionResult> {
    const started = performance.now();
    const { callId, steps, seed, classLabel, guidanceScale } = options;
    const batch = options.batch ?? 1;
    const every = options.every ?? 1;
    const manifest = await this.#manifest(options.manifestUrl);
    if (!manifest.scheduler)
      throw new GenvizError(
        'invalid-argument',
        `The model ${manifest.id} is not a diffusion model.`,
      );
    if (!Number.isInteger(steps) || steps < 1) {
      throw new GenvizError(
        'invalid-argument',
        `steps must be a whole number of at least 1, not ${steps}.`,
        { detail: 'steps' },
      );
    }
    if (
      classLabel !== null &&
      !(Number.isInteger(classLabel) && classLabel >= 0 && classLabel < NULL_CLASS)
    ) {
      throw new GenvizError(
        'invalid-argument',
        `classLabel must be a digit 0-9 or null, not ${classLabel}.`,
        { detail: 'classLabel' },
      );
    }
    if (!Number.isFinite(guidanceScale) || guidanceScale < 0) {
      throw new GenvizError(
        'invalid-argument',
        `guidanceScale must be a number >= 0, not ${guidanceScale}.`,
        { detail: 'guidanceScale' },
      );
    }
    let scheduler;
    try {
      scheduler = createScheduler(manifest.scheduler as SchedulerConfigJson, {
        name: options.scheduler,
      });
      scheduler.setTimesteps(steps);
    } catch (cause) {
      throw new GenvizError(
        'invalid-argument',
        cause instanceof Error ? cause.message : String(cause),
        {
          cause,
          detail: 'scheduler',
        },
      );
    }
    const [, channels = 1, height = 28, width = 28] = shapeOf(manifest, 'unet', 'sample');
    const itemSize = channels * height * width;
    const size = batch * itemSize;
    const rng = new NormalGenerator(seed);
    const sample = new Float32Array(size);
    rng.fill(sample);
    for (let i = 0; i < size; i++) sample[i]! *= scheduler.initNoiseSigma;

    // Guidance batches the unconditional and conditional passes into one model call.
    const guided = classLabel !== null && guidanceScale !== 1;
    const modelBatch = guided ? 2 * batch : batch;
    const modelInput = new Float32Array(modelBatch * itemSize);
    const labels = new BigInt64Array(modelBatch);
    for (let n = 0; n < batch; n++) {
      if (guided) {
        labels[n] = BigInt(NULL_CLASS);
        labels[batch + n] = BigInt(classLabel);
      } else {
        labels[n] = BigInt(classLabel ?? NULL_CLASS);
      }
    }
    const timestepInput = new Float32Array(modelBatch);
    const noise = new Float32Array(size);
    const predictedOriginal = new Float32Array(size);
    let evaluations = 0;
    let device: DeviceChoice | undefined;
    const timesteps = scheduler.timesteps;
    // The page's answer to the step streamed last. The loop computes the next step while the
    // page draws this one, and waits for the answer only before streaming again: so a page that
    // pauses (its onStep returns a pending promise) holds the loop after at most one step
    // computed ahead, and a page that keeps up costs no round trip per step.
    let pageTookStep: Promise<void> | undefined;
    for (let index = 0; index < timesteps.length; index++) {
      abortCheck(this.#aborted, callId);
      const t = timesteps[index]!;
      const scaled = modelInput.subarray(0, size);
      scheduler.scaleModelInput(scaled, sample, t);
      if (guided) modelInput.copyWithin(size, 0, size);
      timestepInput.fill(t);
      const { outputs, loaded } = await this.#run(
        options,
        'unet',
        () => ({
          sample: {
            type: 'float32',
            data: modelInput,
            dims: [modelBatch, channels, height, width],
          },
          timestep: { type: 'float32', data: timestepInput, dims: [modelBatch] },
          class_label: { type: 'int64', data: labels, dims: [modelBatch] },
        }),
        undefined,
        index === 0 ? onProgress : undefined,
      );
      device = loaded.choice;
      evaluations += 1;
      const prediction = outputs.noise_pred!.data as Float32Array;
      if (guided) {
        applyGuidance(
          noise,
          prediction.subarray(0, size),
          prediction.subarray(size, 2 * size),
          guidanceScale,
        );
      } else {
        noise.set(prediction.subarray(0, size));
      }
      scheduler.step(
        noise,
        t,
        sample,
        { prevSample: sample, predOriginalSample: predictedOriginal },
        rng,
        {
          batchSize: batch,
          eta: options.eta,
        },
      );
      const last = index === timesteps.length - 1;
      if (onStep && every > 0 && (index % every === 0 || last)) {
        const update: DiffusionStep = {
          index,
          steps: timesteps.length,
          timestep: t,
          sample: sample.slice(),
          noise: noise.slice(),
          predictedOriginal: predictedOriginal.slice(),
          evaluations,
          elapsedMs: performance.now() - started,
        };
        const buffers = [
          update.sample.buffer,
          update.noise.buffer,
          update.predictedOriginal.buffer,
        ];
        if (options.includeGuidance && guided) {
          update.unconditionalNoise = prediction.slice(0, size);
          update.conditionalNoise = prediction.slice(size, 2 * size);
          buffers.push(update.unconditionalNoise.buffer, update.conditionalNoise.buffer);
        }
        if (pageTookStep) await pageTookStep;
        abortCheck(this.#aborted, callId);
        pageTookStep = Promise.resolve(onStep(Comlink.transfer(update, buffers)));
        pageTookStep.catch(() => undefined); // Awaited later; this only silences the warning.
      }
    }
    if (pageTookStep) await pageTookStep;
    const result: DiffusionResult = {
      sample,
      shape: [batch, channels, height, width],
      evaluations,
      steps: timesteps.length,
      elapsedMs: performance.now() - started,
      device: device!,
    };
    return Comlink.transfer(result, [sample.buffer]);
  }
}
