import type { DeviceOption, DtypeOption } from './environment.js';
import type {
  DiffusionSampleParams,
  DiffusionStep,
  DuelMatrixRow,
  ForwardParams,
  ModelProgress,
  PixelRange,
} from './protocol.js';

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

export interface SampleOptions extends ModelCallOptions, Partial<DiffusionSampleParams> {
  /**
   * Receives each streamed step. Return a promise to pause: the worker computes at most one step
   * ahead, and streams it (and goes on) only once the promise settles.
   */
  onStep?: (step: DiffusionStep) => void | Promise<void>;
}

export interface ForwardOptions
  extends ModelCallOptions, Omit<ForwardParams, 'seed'>, Partial<Pick<ForwardParams, 'seed'>> {}

export interface ReadOptions extends ModelCallOptions {
  /** How the images' values map to pixels: `unit` ([0, 1], the default) or `minus-one-to-one`. */
  range?: PixelRange;
}

export interface DataOptions {
  /** A dataset manifest's URL (task `dataset`); default: the held-out digits of `@genviz/models`. */
  dataset?: string;
  signal?: AbortSignal;
}

export interface DuelMatrixOptions extends ModelCallOptions {
  /** Real images [R, 1, 28, 28] in [-1, 1], judged by every detective. */
  real: Float32Array;
  /** Latents [F, Z]: every counterfeiter makes its fakes from these. */
  latents: Float32Array;
  /** The detectives' snapshot indices, one per row (default: every snapshot). */
  detectives?: readonly number[];
  /** The counterfeiters' snapshot indices, one per column (default: every snapshot). */
  counterfeiters?: readonly number[];
  /** Receives each row as soon as its detective has judged. */
  onRow?: (row: DuelMatrixRow) => void | Promise<void>;
}
