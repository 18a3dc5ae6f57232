import type { DeviceOption, DtypeOption } from './environment.js';
import type { DiffusionStep, ModelProgress, PixelRange } from './protocol.js';

// The options of the runtime's public calls (the main-thread side of the API).

/** A default model id (`mnist-ddpm`, ...) or the URL of any model's manifest.json. */
export type ModelRef = string;

export interface RuntimeOptions {
  /** Where the default models live; overrides `@genviz/models`' own location (a CDN, a copy on your server). */
  modelsBaseUrl?: string;
  /** Terminate the worker after this long without calls (default 5 minutes); it restarts on the next call. */
  idleTimeoutMs?: number;
  /** Default device for every call (default `auto`). */
  device?: DeviceOption;
}

/** Options every model call takes. */
export interface ModelCallOptions {
  /** Which model (default: this pipeline's default model). */
  model?: ModelRef;
  device?: DeviceOption;
  dtype?: DtypeOption;
  signal?: AbortSignal;
  onProgress?: (progress: ModelProgress) => void;
}

export interface LoadOptions extends Omit<ModelCallOptions, 'model'> {
  /** Only these of the model's networks (default: all); an unknown name is refused. */
  networks?: readonly string[];
}

export interface SampleOptions extends ModelCallOptions {
  scheduler?: string;
  steps?: number;
  seed?: number;
  classLabel?: number | null;
  guidanceScale?: number;
  batch?: number;
  every?: number;
  includeGuidance?: boolean;
  /** One label per image (a digit, or null) instead of `classLabel` for every one; sets the batch. */
  classLabels?: (number | null)[];
  /** Latent diffusion: decode each streamed step's predicted clean latent too (`decodedPrediction`). */
  decodeSteps?: boolean;
  /** Latent diffusion: decode the final latent into `image` (default true). */
  decode?: boolean;
  eta?: number;
  /**
   * Receives each streamed step. Return a promise to pause: the worker computes at most one step
   * ahead, and streams it (and goes on) only once the promise settles.
   */
  onStep?: (step: DiffusionStep) => void | Promise<void>;
}

export interface ForwardOptions extends ModelCallOptions {
  /** The clean image, values in [-1, 1], 1x28x28 for the default model. */
  image: Float32Array;
  /** Points of the forward process: 0 is the clean image, 1000 the last training step. */
  timesteps: number[];
  seed?: number;
}

export interface ReadOptions extends ModelCallOptions {
  /** How the images' values map to pixels: `unit` ([0, 1], the default) or `minus-one-to-one`. */
  range?: PixelRange;
}

export interface DataOptions {
  /** A dataset manifest's URL (task `dataset`); default: the held-out digits of `@genviz/models`. */
  dataset?: string;
  signal?: AbortSignal;
}
