import * as Comlink from 'comlink';
import {
  defaultAssetUrls,
  defaultManifestUrl,
  defaultModelIds,
  defaultModelsBaseUrl,
} from '@genviz/models';
import { installErrorTransfer } from './comlink-errors.js';
import type { EnvironmentReport } from './environment.js';
import { GPU_LOST, GenvizError, abortedError } from './errors.js';
import type {
  CallOptions,
  ProgressCallback,
  DiffusionResult,
  DiffusionSampleOptions,
  DataTensors,
  DigitReading,
  DuelMatrixResult,
  ForwardResult,
  HeldOutDigits,
  LoadedModel,
} from './protocol.js';
import type { WorkerApi } from './worker.js';

import type {
  DataOptions,
  DuelMatrixOptions,
  ForwardOptions,
  LoadOptions,
  ModelCallOptions,
  ModelRef,
  ReadOptions,
  RuntimeOptions,
  SampleOptions,
} from './client-options.js';

// Comlink proxies only callbacks passed as top-level arguments, never ones nested in an object.
const progressProxy = (options: ModelCallOptions): ProgressCallback | undefined =>
  options.onProgress ? Comlink.proxy(options.onProgress) : undefined;

const DEFAULTS = {
  classifier: 'mnist-classifier',
  vae: 'mnist-vae',
  gan: 'mnist-dcgan',
  diffusion: 'mnist-ddpm',
  dataset: 'mnist-data',
} as const;

function createWorker(): Worker {
  // A module worker must be same-origin. Served from a CDN (this module on another origin),
  // start it through a same-origin blob that imports the real module, which the CDN serves
  // with CORS. The path is a variable so that bundlers leave this URL alone.
  // (webpack replaces import.meta.url with the source file's file: URL: that is a bundle, not a CDN.)
  const moduleUrl = new URL(import.meta.url);
  if (
    typeof location !== 'undefined' &&
    /^https?:$/.test(moduleUrl.protocol) &&
    moduleUrl.origin !== location.origin
  ) {
    const workerFile = './worker.js';
    const href = new URL(workerFile, import.meta.url).href;
    const shim = new Blob([`import ${JSON.stringify(href)};`], { type: 'text/javascript' });
    return new Worker(URL.createObjectURL(shim), { type: 'module', name: 'genviz-runtime' });
  }
  // Written exactly in the form bundlers recognise (Vite, webpack 5, Parcel, Rollup's and
  // esbuild's worker plugins), so that they bundle the worker with its imports; anything else
  // is copied or inlined as a bare asset and the worker cannot load its modules.
  return new Worker(new URL('./worker.js', import.meta.url), {
    type: 'module',
    name: 'genviz-runtime',
  });
}

/** The URL the runtime computes for each default model file, mapped to where the file really is. */
function assetLocations(): Record<string, string> {
  const table: Record<string, string> = {};
  for (const [path, url] of Object.entries(defaultAssetUrls)) {
    table[new URL(path, defaultModelsBaseUrl).href] = url;
  }
  return table;
}

interface LiveWorker {
  worker: Worker;
  api: Comlink.Remote<WorkerApi>;
  crashed: Promise<never>;
}

let sharedRuntime: GenvizRuntime | undefined;
let pageDefaults: RuntimeOptions = {};

/**
 * Page-wide defaults for every runtime that does not set its own, the shared one included. The
 * one setting most pages need is `modelsBaseUrl`, when the default models are served from
 * somewhere else than next to `@genviz/models` (a static copy in a site's build, a CDN).
 */
export function configureRuntime(defaults: RuntimeOptions): void {
  pageDefaults = { ...pageDefaults, ...defaults };
}

/**
 * The main-thread client of the genviz worker. The worker starts on the first call (never at
 * import), runs every model off the main thread, is terminated after an idle period and
 * restarted transparently after a crash. Pages share one runtime (`GenvizRuntime.shared()`),
 * so many elements cost one copy of the WASM runtime and one session per model.
 */
export class GenvizRuntime {
  readonly #options: Readonly<RuntimeOptions>;
  #live: LiveWorker | undefined;
  #nextCallId = 0;
  #pending = 0;
  #idleTimer: ReturnType<typeof setTimeout> | undefined;
  #restarts = 0;
  /** Held-out digits per dataset URL: fetched (and checked) once per runtime, whatever the worker does. */
  readonly #digits = new Map<string, Promise<HeldOutDigits>>();
  /** Set when a GPU device was lost: every later call runs on WASM. */
  #gpuLost = false;

  constructor(options: RuntimeOptions = {}) {
    this.#options = Object.freeze({ ...options });
  }

  /** This runtime's options over the page-wide defaults of `configureRuntime`. */
  get options(): Readonly<RuntimeOptions> {
    return { ...pageDefaults, ...this.#options };
  }

  /** The runtime every element on the page shares, unless it asks for its own. */
  static shared(): GenvizRuntime {
    sharedRuntime ??= new GenvizRuntime();
    return sharedRuntime;
  }

  /** The manifest URL for a default model id or a URL. */
  resolveModel(model: ModelRef): string {
    if ((defaultModelIds as readonly string[]).includes(model)) {
      return defaultManifestUrl(model, this.options.modelsBaseUrl ?? defaultModelsBaseUrl);
    }
    try {
      return new URL(model, typeof location === 'undefined' ? undefined : location.href).href;
    } catch {
      throw new GenvizError(
        'invalid-argument',
        `"${model}" is neither a default model id (${defaultModelIds.join(', ')}) nor a URL.`,
        {
          detail: 'model',
        },
      );
    }
  }

  /** Whether a worker is running now. */
  get running(): boolean {
    return this.#live !== undefined;
  }

  /** How many times a crashed worker was replaced. */
  get restarts(): number {
    return this.#restarts;
  }

  #start(): LiveWorker {
    if (this.#live) return this.#live;
    installErrorTransfer();
    const worker = createWorker();
    let reportCrash!: (error: GenvizError) => void;
    const crashed = new Promise<never>((_, reject) => {
      reportCrash = reject;
    });
    crashed.catch(() => undefined);
    const live: LiveWorker = { worker, api: Comlink.wrap<WorkerApi>(worker), crashed };
    const onCrash = (event: Event) => {
      const message =
        event instanceof ErrorEvent && event.message
          ? event.message
          : 'the worker stopped unexpectedly';
      if (this.#live === live) {
        this.#live = undefined;
        this.#restarts += 1;
      }
      worker.terminate();
      reportCrash(
        new GenvizError(
          'worker-crashed',
          `The genviz worker crashed (${message}); the next call starts a new one.`,
        ),
      );
    };
    worker.addEventListener('error', onCrash);
    worker.addEventListener('messageerror', onCrash);
    // Posted before any call, and messages arrive in order: every fetch in the worker sees it.
    void live.api.locateAssets(assetLocations()).catch(() => undefined);
    this.#live = live;
    return live;
  }

  /** Stops the worker now; calls in flight reject with `aborted`. The next call starts a new one. */
  terminate(): void {
    clearTimeout(this.#idleTimer);
    const live = this.#live;
    this.#live = undefined;
    live?.worker.terminate();
    live?.worker.dispatchEvent(new ErrorEvent('error', { message: 'terminated' }));
  }

  async #call<T>(
    signal: AbortSignal | undefined,
    body: (api: Comlink.Remote<WorkerApi>, callId: number) => Promise<T>,
  ): Promise<T> {
    if (signal?.aborted) throw abortedError();
    clearTimeout(this.#idleTimer);
    const live = this.#start();
    const callId = ++this.#nextCallId;
    this.#pending += 1;
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => {
        void live.api.abort(callId).catch(() => undefined);
        reject(abortedError());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    aborted.catch(() => undefined);
    const work = body(live.api, callId);
    try {
      return await Promise.race([work, aborted, live.crashed]);
    } catch (error) {
      if (!(error instanceof GenvizError && error.detail === GPU_LOST) || this.#gpuLost)
        throw error;
      // The worker's WebGPU backend is bound to the dead device: replace the worker and run the
      // call again, on WASM this time (#callOptions reads #gpuLost).
      this.#gpuLost = true;
      if (this.#live === live) this.#live = undefined;
      live.worker.terminate();
      return await this.#call(signal, body);
    } finally {
      if (onAbort) signal?.removeEventListener('abort', onAbort);
      this.#pending -= 1;
      this.#scheduleIdle();
    }
  }

  #scheduleIdle() {
    if (this.#pending > 0 || !this.#live) return;
    const live = this.#live;
    this.#idleTimer = setTimeout(
      () => {
        if (this.#pending === 0 && this.#live === live) {
          this.#live = undefined;
          live.worker.terminate();
        }
      },
      this.options.idleTimeoutMs ?? 5 * 60_000,
    );
  }

  #callOptions(options: ModelCallOptions, fallbackModel: ModelRef, callId: number): CallOptions {
    return {
      manifestUrl: this.resolveModel(options.model ?? fallbackModel),
      device: this.#gpuLost ? 'wasm' : (options.device ?? this.options.device),
      dtype: this.#gpuLost && options.dtype === 'fp16' ? 'fp32' : options.dtype,
      gpuLost: this.#gpuLost || undefined,
      callId,
    };
  }

  /** What the worker found: WebGPU adapter, shader-f16, cross-origin isolation, threads. */
  environment(): Promise<EnvironmentReport> {
    return this.#call(undefined, (api) => api.environment());
  }

  /**
   * Destroys the worker's GPU device, as a driver reset would, to show (or test) that calls
   * carry on on WASM. Resolves false when no GPU device was in use.
   */
  simulateGpuDeviceLoss(): Promise<boolean> {
    return this.#call(undefined, (api) => api.loseGpuDevice());
  }

  /** Worker statistics (sessions created), for tests and benchmarks. */
  stats(): Promise<{ sessionsCreated: number }> {
    return this.#call(undefined, (api) => api.stats());
  }

  /**
   * Starts the worker, compiles the WASM runtime, downloads, verifies and opens the model and
   * warms each of its sessions with one run. Call it ahead of need (an element connecting or
   * scrolling near view); it returns the device choice and why. `networks` loads only those
   * (an explorer's decoder before its encoder is wanted): the others open on their first run.
   */
  load(model: ModelRef, options: LoadOptions = {}): Promise<LoadedModel> {
    return this.#call(options.signal, (api, callId) =>
      api.load(
        this.#callOptions({ ...options, model }, model, callId),
        progressProxy(options),
        options.networks,
      ),
    );
  }

  readonly classifier = {
    /** Class probabilities [N, 10] for images [N, 1, 28, 28] with values in [0, 1]. */
    classify: (images: Float32Array, options: ModelCallOptions = {}): Promise<Float32Array> =>
      this.#call(options.signal, (api, callId) =>
        api.classify(
          this.#callOptions(options, DEFAULTS.classifier, callId),
          images,
          progressProxy(options),
        ),
      ),
    /**
     * The classifier's reading of each image [N, 1, 28, 28]: the most probable digit, its
     * probability, and all ten. Images in [-1, 1] are mapped to [0, 1] in the worker.
     */
    read: (images: Float32Array, options: ReadOptions = {}): Promise<DigitReading[]> =>
      this.#call(options.signal, (api, callId) =>
        api.read(
          this.#callOptions(options, DEFAULTS.classifier, callId),
          images,
          options.range ?? 'unit',
          progressProxy(options),
        ),
      ),
  };

  readonly data = {
    /** A data file a model's manifest lists (`data.<name>`), as typed arrays by tensor name. */
    modelData: (model: ModelRef, name: string, options: DataOptions = {}): Promise<DataTensors> =>
      this.#call(options.signal, (api, callId) =>
        api.modelData(this.#callOptions({ model }, model, callId), name),
      ),
    /**
     * The real held-out MNIST digits that ship with the default models (1,000 images and their
     * labels), fetched once, cached by the Cache API and checked against their sha256 like every
     * model file. Pages share the result: do not write into it.
     */
    heldOutDigits: (options: DataOptions = {}): Promise<HeldOutDigits> => {
      const url =
        options.dataset === undefined
          ? defaultManifestUrl(DEFAULTS.dataset, this.options.modelsBaseUrl ?? defaultModelsBaseUrl)
          : this.resolveModel(options.dataset);
      let pending = this.#digits.get(url);
      if (!pending) {
        pending = this.#call(undefined, (api) => api.heldOutDigits(url));
        this.#digits.set(url, pending);
        pending.catch(() => this.#digits.delete(url));
      }
      if (!options.signal) return pending;
      const { signal } = options;
      signal.throwIfAborted();
      return Promise.race([
        pending,
        new Promise<never>((_, reject) =>
          signal.addEventListener('abort', () => reject(abortedError()), { once: true }),
        ),
      ]);
    },
  };

  readonly vae = {
    /**
     * The VAE's encoded held-out digits (`mnist-vae`'s `heldout_latents`): `mean` [1000, D] and
     * `labels` [1000], for drawing the latent space's class clusters.
     */
    heldOutLatents: (
      options: ModelCallOptions = {},
    ): Promise<{ mean: Float32Array; labels: Uint8Array; dims: number }> =>
      this.#call(options.signal, (api, callId) =>
        api.modelData(this.#callOptions(options, DEFAULTS.vae, callId), 'heldout_latents'),
      ).then((tensors) => {
        const mean = tensors['mean'];
        const labels = tensors['labels'];
        if (mean?.dtype !== 'float32' || labels?.dtype !== 'uint8' || mean.shape.length !== 2) {
          throw new GenvizError(
            'invalid-argument',
            'heldout_latents must hold float32 "mean" [N, D] and uint8 "labels" [N].',
            { detail: 'heldout_latents' },
          );
        }
        return {
          mean: mean.data as Float32Array,
          labels: labels.data as Uint8Array,
          dims: mean.shape[1]!,
        };
      }),
    /** Posterior mean and log-variance [N, D] of images [N, 1, 28, 28] with values in [0, 1]. */
    encode: (
      images: Float32Array,
      options: ModelCallOptions = {},
    ): Promise<{ mean: Float32Array; logvar: Float32Array }> =>
      this.#call(options.signal, (api, callId) =>
        api.vaeEncode(
          this.#callOptions(options, DEFAULTS.vae, callId),
          images,
          progressProxy(options),
        ),
      ),
    /** Images [N, 1, 28, 28] with values in [0, 1] from latents [N, D]. */
    decode: (latents: Float32Array, options: ModelCallOptions = {}): Promise<Float32Array> =>
      this.#call(options.signal, (api, callId) =>
        api.vaeDecode(
          this.#callOptions(options, DEFAULTS.vae, callId),
          latents,
          progressProxy(options),
        ),
      ),
  };

  readonly gan = {
    /** Images [N, 1, 28, 28] in [-1, 1] from standard-normal latents [N, Z], at a training snapshot (default: final). */
    generate: (
      latents: Float32Array,
      options: ModelCallOptions & { snapshot?: number } = {},
    ): Promise<Float32Array> =>
      this.#call(options.signal, (api, callId) =>
        api.ganGenerate(
          { ...this.#callOptions(options, DEFAULTS.gan, callId), snapshot: options.snapshot },
          latents,
        ),
      ),
    /**
     * The discriminator's P(real) [N] for images [N, 1, 28, 28] in [-1, 1], at a training
     * snapshot (default: final; a snapshot needs a manifest that lists its discriminator).
     */
    discriminate: (
      images: Float32Array,
      options: ModelCallOptions & { snapshot?: number } = {},
    ): Promise<Float32Array> =>
      this.#call(options.signal, (api, callId) =>
        api.ganDiscriminate(
          { ...this.#callOptions(options, DEFAULTS.gan, callId), snapshot: options.snapshot },
          images,
          progressProxy(options),
        ),
      ),
    /**
     * The arms race: the discriminator of each training snapshot (rows) against the generator of
     * each snapshot (columns), scored on the same real images and on fakes from the same latents.
     * Rows stream through `onRow` as they are judged; abort stops between rows.
     */
    duelMatrix: (options: DuelMatrixOptions): Promise<DuelMatrixResult> =>
      this.#call(options.signal, (api, callId) =>
        api.ganDuelMatrix(
          {
            ...this.#callOptions(options, DEFAULTS.gan, callId),
            real: options.real,
            latents: options.latents,
            detectives: options.detectives ? [...options.detectives] : undefined,
            counterfeiters: options.counterfeiters ? [...options.counterfeiters] : undefined,
          },
          options.onRow ? Comlink.proxy(options.onRow) : undefined,
          progressProxy(options),
        ),
      ),
  };

  readonly diffusion = {
    /**
     * Samples in the worker with a core scheduler. `onStep` receives x_t, the predicted noise and
     * the predicted clean image every `every` steps; abort stops between steps.
     */
    sample: (options: SampleOptions = {}): Promise<DiffusionResult> =>
      this.#call(options.signal, (api, callId) => {
        const request: DiffusionSampleOptions = {
          ...this.#callOptions(options, DEFAULTS.diffusion, callId),
          scheduler: options.scheduler,
          steps: options.steps,
          seed: options.seed ?? 0,
          noiseSeed: options.noiseSeed,
          classLabel: options.classLabel === undefined ? null : options.classLabel,
          guidanceScale: options.guidanceScale ?? 1,
          batch: options.batch,
          every: options.every,
          includeGuidance: options.includeGuidance,
          classLabels: options.classLabels,
          decodeSteps: options.decodeSteps,
          decode: options.decode,
          eta: options.eta,
        };
        return api.diffusionSample(
          request,
          options.onStep ? Comlink.proxy(options.onStep) : undefined,
          progressProxy(options),
        );
      }),
    /** The forward (noising) trajectory of an image from one seeded noise draw. */
    forward: (options: ForwardOptions): Promise<ForwardResult> =>
      this.#call(options.signal, (api, callId) => {
        const image = options.image.slice();
        return api.diffusionForward(
          Comlink.transfer(
            {
              ...this.#callOptions(options, DEFAULTS.diffusion, callId),
              image,
              timesteps: options.timesteps,
              seed: options.seed ?? 0,
            },
            [image.buffer],
          ),
        );
      }),
  };
}
