import type { DeviceChoice, DeviceOption, DtypeOption, EnvironmentReport } from './environment.js';
import type { ModelManifest } from '@genviz/core';
import type { FileProgress } from './model-store.js';

// The types that cross the worker boundary, shared by the client (main thread) and the worker.

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

/**
 * What a diffusion sampling run is asked for. The worker receives it whole (the client fills the
 * defaults; `scheduler` and `steps` the worker fills from the model's manifest); the public
 * `SampleOptions` takes every field as optional.
 */
export interface DiffusionSampleParams {
  /**
   * A friendly scheduler name (`ddpm`, `ddim`, `euler`, `euler-ancestral`, `dpmsolver++`, `lcm`,
   * ...) or diffusers class. Default: the model's own (its manifest's `sampling.sampler`: `ddim`
   * for the DDPM-trained models, `lcm` for mnist-lcm), else `ddim`.
   */
  scheduler?: string;
  /** Default: the model's own (`sampling.num_inference_steps`: 50, or 4 for mnist-lcm). */
  steps?: number;
  seed: number;
  /**
   * Seeds the noise a stochastic sampler draws between steps (LCM's fresh noise, DDPM's) apart
   * from `seed`, which then seeds only the starting noise. Default: `seed` draws both.
   */
  noiseSeed?: number;
  /** The digit to draw, or null for the unconditional model. */
  classLabel: number | null;
  guidanceScale: number;
  /** Images sampled at once (default 1). */
  batch?: number;
  /** Stream every k-th step (and always the last); 0 streams nothing. Default 1. */
  every?: number;
  /** Also stream the unconditional and conditional noise predictions (guidance made visible). */
  includeGuidance?: boolean;
  /** One label per batch item (a digit, or null), instead of `classLabel` for all. */
  classLabels?: (number | null)[];
  /** Latent diffusion: also decode each streamed step's predicted clean latent into an image. */
  decodeSteps?: boolean;
  /** Latent diffusion: decode the final latent (default true; false when the latents are the point, as in a flow of 2-D codes). */
  decode?: boolean;
  /** DDIM / DDPM-family eta. */
  eta?: number;
}

export interface DiffusionSampleOptions extends CallOptions, DiffusionSampleParams {}

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
  /** Latent diffusion with `decodeSteps`: the predicted clean latent decoded, [batch, 1, H, W] in [0, 1]. */
  decodedPrediction?: Float32Array;
  evaluations: number;
  elapsedMs: number;
}

export interface DiffusionResult {
  /** The final sample: an image, or for latent diffusion the latent (see `image`). */
  sample: Float32Array;
  shape: number[];
  /** Latent diffusion: the final latent decoded by the model's autoencoder, in [0, 1]. */
  image?: Float32Array;
  imageShape?: number[];
  /** Model evaluations of the autoencoder's decoder (latent diffusion; once, or once per streamed step). */
  decodes?: number;
  evaluations: number;
  steps: number;
  elapsedMs: number;
  device: DeviceChoice;
}

/** The classifier's reading of one image. */
export interface DigitReading {
  /** The most probable class. */
  digit: number;
  /** Its probability. */
  confidence: number;
  /** Every class's probability. */
  probabilities: Float32Array;
}

/** How an image's values map to pixels: [-1, 1] (the diffusion model, the GAN) or [0, 1]. */
export type PixelRange = 'minus-one-to-one' | 'unit';

/** Real held-out digits that ship with the default models, [count, 28, 28] pixels and labels. */
export interface HeldOutDigits {
  /** Grey pixels 0-255, row-major, `count` images of `side` x `side`. */
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
  side: number;
}

/** What a forward-process run is asked for (the public `ForwardOptions` makes `seed` optional). */
export interface ForwardParams {
  /** The clean image, values in [-1, 1], 1x28x28 for the default model. */
  image: Float32Array;
  /** Points of the forward process: 0 is the clean image, 1000 the last training step. */
  timesteps: number[];
  seed: number;
}

export interface ForwardRequest extends CallOptions, ForwardParams {}

export interface ForwardResult {
  samples: Float32Array[];
  noise: Float32Array;
  snr: number[];
  alphasCumprod: Float32Array;
}

/** A model's data file as typed arrays, by tensor name. */
export type DataTensors = Record<
  string,
  {
    dtype: 'uint8' | 'float32' | 'int64';
    shape: number[];
    data: Uint8Array | Float32Array | BigInt64Array;
  }
>;

/** The detective-against-counterfeiter matrix of a GAN's training snapshots (`gan.duelMatrix`). */
export interface DuelMatrixRequest extends CallOptions {
  /** Real images [R, 1, 28, 28] in [-1, 1], judged by every detective. */
  real: Float32Array;
  /** Latents [F, Z]: every counterfeiter makes its fakes from these. */
  latents: Float32Array;
  /** The detectives' snapshot indices, one per row (default: every snapshot). */
  detectives?: number[];
  /** The counterfeiters' snapshot indices, one per column (default: every snapshot). */
  counterfeiters?: number[];
}

/** One row of the matrix, streamed as soon as its detective has judged. */
export interface DuelMatrixRow {
  row: number;
  /** The detective's snapshot index. */
  detective: number;
  /** Per column: the share of the R real images and F fakes the detective called right. */
  accuracy: Float32Array;
  /** Real images called real (P(real) >= 0.5), the same in every column. */
  realRight: number;
  /** Per column: fakes called fake. */
  fakeRight: Uint16Array;
  /** The detective's mean P(real) on the real images. */
  meanReal: number;
  /** Since the call started, in ms. */
  elapsedMs: number;
}

export type DuelMatrixRowCallback = (row: DuelMatrixRow) => void | Promise<void>;

export interface DuelMatrixResult {
  detectives: number[];
  counterfeiters: number[];
  /** Real images and fakes per cell. */
  real: number;
  fakes: number;
  /** Row-major [detectives, counterfeiters]: the share of images called right. */
  accuracy: Float32Array;
  /** Per row: real images called real. */
  realRight: Uint16Array;
  /** Row-major: fakes called fake. */
  fakeRight: Uint16Array;
  elapsedMs: number;
}
