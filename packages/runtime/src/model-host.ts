import type { DataFile, DatasetManifest, ModelManifest, ModelVariant } from '@genviz/core';
import { chooseDevice, detectEnvironment } from './environment.js';
import { GPU_LOST, GenvizError } from './errors.js';
import { findVariant, parseDatasetManifest, parseManifest } from './manifest.js';
import { fetchJsonDocument, fetchModelFile } from './model-store.js';
import type { CallOptions, LoadedModel, ProgressCallback } from './protocol.js';
import { configureOrt, getSession, run } from './session-pool.js';
import type { Feeds, OnnxOutputs, PooledSession } from './session-pool.js';

/** Memoises a promise per key, forgetting it when it fails (so a retry fetches again). */
function memo<T>(cache: Map<string, Promise<T>>, key: string, make: () => Promise<T>): Promise<T> {
  let pending = cache.get(key);
  if (!pending) {
    pending = make();
    cache.set(key, pending);
    pending.catch(() => cache.delete(key));
  }
  return pending;
}

/**
 * What every pipeline in the worker stands on: manifests (fetched once), sessions (fetched into
 * the Cache API, checked against their sha256, created once per file and device), runs that turn
 * a failed WebGPU run into the `gpu-lost` error the client recovers from, and data files (the
 * held-out digits) fetched and checked like model files.
 */
export class ModelHost {
  #manifests = new Map<string, Promise<ModelManifest>>();
  #datasets = new Map<string, Promise<DatasetManifest>>();

  /** A model's manifest, fetched and checked once per worker. */
  manifest(url: string): Promise<ModelManifest> {
    return memo(this.#manifests, url, async () =>
      fetchJsonDocument(url, 'model manifest', parseManifest),
    );
  }

  /** A dataset's manifest (task `dataset`), fetched and checked once per worker. */
  dataset(url: string): Promise<DatasetManifest> {
    return memo(this.#datasets, url, async () =>
      fetchJsonDocument(url, 'dataset manifest', parseDatasetManifest),
    );
  }

  /**
   * A data file a manifest lists (`data.<name>`), through the same path as model files: the
   * Cache API, keyed by its sha256, and checked against it.
   */
  async dataFile(
    manifestUrl: string,
    manifest: { readonly id: string; readonly data?: Readonly<Record<string, DataFile>> },
    name: string,
  ): Promise<{ entry: DataFile; bytes: Uint8Array }> {
    const entry = manifest.data?.[name];
    if (!entry) {
      const known = Object.keys(manifest.data ?? {}).join(', ') || 'none';
      throw new GenvizError(
        'invalid-argument',
        `${manifest.id} has no data file "${name}" (it has ${known}).`,
        { detail: name },
      );
    }
    const bytes = await fetchModelFile({
      url: new URL(entry.file, manifestUrl).href,
      sha256: entry.sha256,
      bytes: entry.bytes,
    });
    return { entry, bytes };
  }

  async session(
    options: CallOptions,
    network: string,
    variants?: readonly ModelVariant[],
    onProgress?: ProgressCallback,
  ): Promise<{ pooled: PooledSession; loaded: LoadedModel }> {
    const environment = await detectEnvironment();
    configureOrt(environment.wasmThreads);
    const manifest = await this.manifest(options.manifestUrl);
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
    const candidates = variants ?? manifest.networks[network]!.variants;
    let variant = findVariant(candidates, choice.dtype);
    if (!variant && (options.dtype ?? 'auto') === 'auto' && candidates.length > 0) {
      // A package may ship one variant of some files (@genviz/models ships the GAN's training
      // history in int8 only, docs/decisions/0007): on auto, run what there is.
      variant = candidates.find((candidate) => candidate.dtype !== 'fp16') ?? candidates[0]!;
      choice = {
        ...choice,
        dtype: variant.dtype,
        reason: `${choice.reason.replace(/; fp(16|32)[^;]*$/, '')}; ${variant.dtype} (the only variant shipped)`,
      };
    }
    if (!variant) {
      throw new GenvizError(
        'invalid-argument',
        `The model ${manifest.id} has no ${choice.dtype} file for ${network}.`,
        { detail: 'dtype' },
      );
    }
    const url = new URL(variant.file, options.manifestUrl).href;
    const pooled = await getSession(
      `${url}#${variant.sha256}`,
      choice.device,
      () =>
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
      // int8 on WASM always runs with its weights dequantized once at load (27 ms a UNet step
      // against 36 dequantizations per step otherwise), whether auto chose it or it was asked.
      { foldDequantize: variant.dtype === 'int8' && choice.device === 'wasm' },
    );
    return { pooled, loaded: { manifest, choice, environment } };
  }

  /**
   * Runs a session. A WebGPU run that fails (a lost device) cannot be retried in this worker:
   * onnxruntime-web's WebGPU backend stays bound to the dead device and later runs, WASM ones
   * included, never settle. So it fails with detail `gpu-lost`, and the client replaces the
   * worker and repeats the call on WASM.
   */
  async run(
    options: CallOptions,
    network: string,
    feeds: () => Feeds,
    variants?: readonly ModelVariant[],
    onProgress?: ProgressCallback,
  ): Promise<{ outputs: OnnxOutputs; loaded: LoadedModel }> {
    const { pooled, loaded } = await this.session(options, network, variants, onProgress);
    return { outputs: await this.runOn(pooled, feeds()), loaded };
  }

  /**
   * Runs a session already looked up (a loop calling one network many times looks it up once).
   * A failed WebGPU run fails with detail `gpu-lost`, as in `run`.
   */
  async runOn(pooled: PooledSession, feeds: Feeds): Promise<OnnxOutputs> {
    try {
      return await run(pooled, feeds);
    } catch (cause) {
      if (pooled.device !== 'webgpu') throw cause;
      const message = cause instanceof Error ? cause.message : String(cause);
      throw new GenvizError('unsupported-device', `The WebGPU run failed: ${message}`, {
        cause,
        detail: GPU_LOST,
      });
    }
  }

  /**
   * Fetches, verifies and opens a model's sessions, and warms each with one run: every network,
   * or only `networks` (the others open on their first run, as snapshots do).
   */
  async load(
    options: CallOptions,
    onProgress?: ProgressCallback,
    networks?: readonly string[],
  ): Promise<LoadedModel> {
    const manifest = await this.manifest(options.manifestUrl);
    const names = Object.keys(manifest.networks);
    const unknown = networks?.filter((network) => !names.includes(network)) ?? [];
    if (unknown.length > 0 || networks?.length === 0) {
      const asked =
        unknown.length > 0
          ? `has no ${unknown.join(' or ')} network`
          : 'was asked to load no network';
      throw new GenvizError(
        'invalid-argument',
        `The model ${manifest.id} ${asked}; its networks are ${names.join(', ')}.`,
        { detail: 'networks' },
      );
    }
    let loaded: LoadedModel | undefined;
    const timings: NonNullable<LoadedModel['timings']> = {};
    for (const network of networks ?? names) {
      const { pooled, loaded: result } = await this.session(
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
}
