import type { ManifestTask } from '@genviz/core';
import { GenvizError } from '@genviz/runtime';
import type {
  DeviceChoice,
  DeviceOption,
  LoadedModel,
  ModelProgress,
  ModelRef,
  GenvizRuntime,
} from '@genviz/runtime';
import { html, nothing } from 'lit';
import type { ReactiveControllerHost, TemplateResult } from 'lit';
import { GenvizModelProgressEvent } from './events.js';
import { emit } from './format.js';
import { RunController } from './run-controller.js';

export interface ModelControllerOptions {
  /** The model to load (read when a load starts). */
  readonly model: () => ModelRef;
  readonly device: () => DeviceOption | undefined;
  readonly runtime: () => GenvizRuntime;
  /** The task the element needs: a manifest of another task is refused by name when it loads. */
  readonly task?: ManifestTask;
  /**
   * The networks to load up front (default: all). The others open on their first run, so a
   * view that never needs one (an explorer's encoder before the reader draws) never fetches it.
   */
  readonly networks?: () => readonly string[] | undefined;
  /** What the loading line calls the model ("the model", "the generator"). */
  readonly label?: string;
  readonly onError?: (error: unknown) => void;
}

/**
 * One model's lifecycle for an element: load it through the runtime (download with byte
 * progress, sha256, warm-up), fire `genviz-model-progress`, keep the device the runtime chose
 * and why (the CPU-fallback state), and keep a failure with a retry. `reset()` when the model or
 * device setting changes; `ensure()` before a run needs the model.
 */
export class ModelController {
  readonly #host: ReactiveControllerHost & HTMLElement;
  readonly #options: ModelControllerOptions;
  readonly #run: RunController<LoadedModel>;
  #loading: Promise<LoadedModel | undefined> | undefined;
  #progress: ModelProgress | undefined;
  #choice: DeviceChoice | undefined;

  constructor(host: ReactiveControllerHost & HTMLElement, options: ModelControllerOptions) {
    this.#host = host;
    this.#options = options;
    this.#run = new RunController<LoadedModel>(host, { onError: options.onError });
  }

  get loaded(): LoadedModel | undefined {
    return this.#run.value;
  }

  get pending(): boolean {
    return this.#run.pending;
  }

  /** Whether nothing was asked yet (since the last reset). */
  get idle(): boolean {
    return this.#run.status === 'initial' && !this.#loading;
  }

  /** The load's failure, while it is the last word (aborts excluded). */
  get error(): unknown {
    return this.#run.status === 'error' ? this.#run.error : undefined;
  }

  /** Where the model runs and why; updated by `noteDevice` from each result. */
  get choice(): DeviceChoice | undefined {
    return this.#choice;
  }

  /** Records where a call ran (results carry it). */
  noteDevice(choice: DeviceChoice): void {
    this.#choice = choice;
  }

  /** WASM though WebGPU was allowed (asked for, or `auto`). */
  get cpuFallback(): boolean {
    const requested = this.#options.device() ?? this.#options.runtime().options.device ?? 'auto';
    return this.#choice?.device === 'wasm' && requested !== 'wasm';
  }

  /** Loads the model once (concurrent callers share the load); rejects with its failure. */
  async ensure(): Promise<LoadedModel> {
    if (this.#run.value) return this.#run.value;
    this.#loading ??= this.#run.run((signal) => this.#load(signal));
    const loading = this.#loading;
    const loaded = await loading;
    if (this.#loading === loading && !loaded) this.#loading = undefined;
    if (!loaded) throw this.#run.error ?? new GenvizError('aborted', 'Loading was cancelled.');
    return loaded;
  }

  /** Forgets the model (its setting changed): the next `ensure()` loads again. */
  reset(): void {
    if (this.idle && !this.#choice) return;
    this.#run.reset();
    this.#loading = undefined;
    this.#choice = undefined;
    this.#progress = undefined;
  }

  async #load(signal: AbortSignal): Promise<LoadedModel> {
    const model = this.#options.model();
    try {
      const loaded = await this.#options.runtime().load(model, {
        device: this.#options.device(),
        networks: this.#options.networks?.(),
        signal,
        onProgress: (progress) => {
          this.#progress = progress;
          emit(this.#host, new GenvizModelProgressEvent(progress));
          this.#host.requestUpdate();
        },
      });
      const task = this.#options.task;
      if (task && loaded.manifest.task !== task) {
        throw new GenvizError(
          'invalid-argument',
          `The model ${loaded.manifest.id} (${model}) is a ${loaded.manifest.task} model; this element needs a ${task} model.`,
          { detail: 'model' },
        );
      }
      this.#choice = loaded.choice;
      return loaded;
    } finally {
      this.#progress = undefined;
    }
  }

  /** The progress bar while loading. */
  renderLoading(): TemplateResult | typeof nothing {
    if (!this.#run.pending) return nothing;
    const progress = this.#progress;
    const fraction =
      progress && progress.totalBytes > 0 ? progress.loadedBytes / progress.totalBytes : undefined;
    const label = `Loading ${this.#options.label ?? 'the model'}${
      fraction === undefined ? '…' : ` (${Math.round(fraction * 100)}%)`
    }`;
    return html`<div class="loading">
      <label>
        ${label}
        <progress part="progress" max="1" .value=${fraction ?? null}></progress>
      </label>
    </div>`;
  }

  /** The device line: GPU or CPU, the dtype, and why. */
  renderDevice(): TemplateResult | typeof nothing {
    const choice = this.#choice;
    if (!choice) return nothing;
    return html`<p part="device" class=${this.cpuFallback ? 'fallback' : ''}>
      ${choice.device === 'webgpu' ? 'Running on the GPU (WebGPU' : 'Running on the CPU (WASM'},
      ${choice.dtype}): ${choice.reason}.
    </p>`;
  }
}
