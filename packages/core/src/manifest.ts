/**
 * The manifest format: one `manifest.json` per model folder in the published assets, written by
 * the export tool (@genviz/model-export) and read by the runtime (@genviz/runtime). It lives here
 * because core is the one package both depend on, so the writer and the reader cannot drift.
 * Versioned by `schemaVersion`; `@genviz/model-export/manifest.schema.json` is the same contract
 * as a JSON Schema. Types only, plus the version constant: no code runs on import.
 */
import type { ModelDtype } from './model-dtypes.js';

export const MANIFEST_SCHEMA_VERSION = 1;

export type ManifestTask = 'classifier' | 'vae' | 'gan' | 'diffusion';

export interface ManifestTensor {
  /** The ONNX input or output name. */
  readonly name: string;
  readonly dtype: 'float32' | 'int64';
  /** Dimensions; a string names a dynamic one ("batch"). */
  readonly shape: readonly (number | string)[];
  /** The values' range, where the contract fixes one (images: [0, 1] or [-1, 1]). */
  readonly range?: readonly [number, number];
  /** How to draw the input, where it is sampled (a GAN's latent: "standard normal"). */
  readonly distribution?: string;
}

export interface VerifiedOutput {
  readonly name: string;
  readonly maxAbs: number;
  readonly meanAbs: number;
  /** null: identical to the reference. */
  readonly psnrDb: number | null;
  readonly decisionAgreement?: number;
}

export interface ModelVariant {
  readonly dtype: ModelDtype;
  /** Relative to the manifest's folder. */
  readonly file: string;
  readonly bytes: number;
  /** Hex sha256 of the file: the runtime checks downloads and keys its cache by it. */
  readonly sha256: string;
  readonly verification: {
    /** PyTorch's outputs from reference.safetensors, or this network's fp32 ONNX where no PyTorch reference exists (GAN snapshots). */
    readonly against: 'pytorch-reference' | 'fp32-onnx';
    readonly outputs: readonly VerifiedOutput[];
  };
}

export interface NetworkManifest {
  readonly inputs: readonly ManifestTensor[];
  readonly outputs: readonly ManifestTensor[];
  /** fp32 always first; quantized variants that passed verify follow. */
  readonly variants: readonly ModelVariant[];
}

/** One point of a GAN's training history with the generator as it was then. */
export interface GanSnapshot {
  readonly index: number;
  readonly epoch: number;
  readonly iteration: number;
  /** The discriminator's mean P(real) on held-out real digits and on 1,000 fakes at that point. */
  readonly d_real: number;
  readonly d_fake: number;
  /** Variants of the generator network at this snapshot (same inputs and outputs). */
  readonly variants: readonly ModelVariant[];
  /**
   * Variants of the discriminator network at this snapshot (same inputs and outputs), where
   * training kept it: the detective as it was then, to pit against any snapshot's generator.
   */
  readonly discriminatorVariants?: readonly ModelVariant[];
}

/** A binary file of raw little-endian tensors, one after another. */
export interface DataFile {
  readonly file: string;
  readonly bytes: number;
  readonly sha256: string;
  readonly tensors: readonly {
    readonly name: string;
    readonly dtype: 'uint8' | 'float32' | 'int64';
    readonly shape: readonly number[];
    readonly byteOffset: number;
  }[];
}

export interface ModelManifest {
  readonly schemaVersion: typeof MANIFEST_SCHEMA_VERSION;
  readonly id: string;
  readonly task: ManifestTask;
  readonly networks: Readonly<Record<string, NetworkManifest>>;
  /** Class names, index = class id. */
  readonly labels?: readonly string[];
  /** Diffusion models: the diffusers scheduler_config.json (snake_case) the model was trained with. */
  readonly scheduler?: Readonly<Record<string, unknown>>;
  /** Diffusion models: how the model card's samples were drawn (sampler, steps, guidance). */
  readonly sampling?: Readonly<Record<string, unknown>>;
  /** GANs: the training history, oldest first. */
  readonly snapshots?: readonly GanSnapshot[];
  /** Extra data that belongs to the model (the VAE's held-out latents). */
  readonly data?: Readonly<Record<string, DataFile>>;
  /**
   * The variant `dtype: 'auto'` takes on WASM instead of fp32, where `genviz-export evaluate`
   * showed it within the model's quality bars (int8: the runtime folds its DequantizeLinear
   * nodes at load, so it runs as fast as fp32 from a quarter of the bytes). Never fp16.
   */
  readonly preferredDtypes?: { readonly wasm?: 'int8' };
  readonly producer: { readonly name: string; readonly version: string; readonly opset: number };
}

/** Real data for the elements (the held-out digits), packed as raw tensors. */
export interface DatasetManifest {
  readonly schemaVersion: typeof MANIFEST_SCHEMA_VERSION;
  readonly id: string;
  readonly task: 'dataset';
  readonly labels?: readonly string[];
  readonly data: Readonly<Record<string, DataFile>>;
  readonly producer: { readonly name: string; readonly version: string };
}

export type AnyManifest = ModelManifest | DatasetManifest;
