// The worker entry: one onnxruntime-web instance (one WASM compile) for every element that
// shares this worker. The pipelines live in ./pipelines; this module is the surface the client
// calls through Comlink, and the bookkeeping of calls that can be aborted between steps.
import * as Comlink from 'comlink';
import { setAssetLocations } from './asset-locations.js';
import { installErrorTransfer } from './comlink-errors.js';
import { detectEnvironment } from './environment.js';
import type { EnvironmentReport } from './environment.js';
import { ModelHost } from './model-host.js';
import * as classifier from './pipelines/classifier.js';
import { heldOutDigits, modelData } from './pipelines/dataset.js';
import * as diffusion from './pipelines/diffusion.js';
import * as gan from './pipelines/gan.js';
import * as vae from './pipelines/vae.js';
import type {
  CallOptions,
  DiffusionResult,
  DataTensors,
  DiffusionSampleOptions,
  DigitReading,
  DuelMatrixRequest,
  DuelMatrixResult,
  DuelMatrixRowCallback,
  ForwardRequest,
  ForwardResult,
  HeldOutDigits,
  LoadedModel,
  PixelRange,
  ProgressCallback,
  StepCallback,
} from './protocol.js';
import { destroyGpuDevice, sessionsCreated } from './session-pool.js';

const transfer = <T>(value: T, buffers: ArrayBufferLike[]): T =>
  Comlink.transfer(value, buffers as Transferable[]);

/**
 * What the worker exposes through Comlink. Every model runs here, off the main thread; results
 * come back as transferred buffers.
 */
export class WorkerApi {
  readonly #host = new ModelHost();
  /** Calls that can stop between steps, while they run; abort() marks one of them. */
  readonly #abortable = new Set<number>();
  readonly #aborted = new Set<number>();

  /**
   * Stops a running call at its next step. Messages arrive in the order they were posted, so
   * a call is always registered before its abort arrives; an abort that comes after the call
   * settled finds nothing to mark, and nothing is left behind to clean up (no extra message).
   */
  abort(callId: number): void {
    if (this.#abortable.has(callId)) this.#aborted.add(callId);
  }

  environment(): Promise<EnvironmentReport> {
    return detectEnvironment();
  }

  /** Where the bundler put each default model file (the client sends it first, once per worker). */
  locateAssets(table: Record<string, string>): void {
    setAssetLocations(table);
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

  load(
    options: CallOptions,
    onProgress?: ProgressCallback,
    networks?: readonly string[],
  ): Promise<LoadedModel> {
    return this.#host.load(options, onProgress, networks);
  }

  async classify(
    options: CallOptions,
    images: Float32Array,
    onProgress?: ProgressCallback,
  ): Promise<Float32Array> {
    const probabilities = await classifier.classify(this.#host, options, images, onProgress);
    return transfer(probabilities, [probabilities.buffer]);
  }

  async read(
    options: CallOptions,
    images: Float32Array,
    range: PixelRange,
    onProgress?: ProgressCallback,
  ): Promise<DigitReading[]> {
    const readings = await classifier.read(this.#host, options, images, range, onProgress);
    return transfer(
      readings,
      readings.map((reading) => reading.probabilities.buffer),
    );
  }

  async heldOutDigits(manifestUrl: string): Promise<HeldOutDigits> {
    const digits = await heldOutDigits(this.#host, manifestUrl);
    return transfer(digits, [digits.images.buffer, digits.labels.buffer]);
  }

  async modelData(options: CallOptions, name: string): Promise<DataTensors> {
    const tensors = await modelData(this.#host, options, name);
    return transfer(
      tensors,
      Object.values(tensors).map((tensor) => tensor.data.buffer),
    );
  }

  async vaeEncode(
    options: CallOptions,
    images: Float32Array,
    onProgress?: ProgressCallback,
  ): Promise<{ mean: Float32Array; logvar: Float32Array }> {
    const result = await vae.encode(this.#host, options, images, onProgress);
    return transfer(result, [result.mean.buffer, result.logvar.buffer]);
  }

  async vaeDecode(
    options: CallOptions,
    latents: Float32Array,
    onProgress?: ProgressCallback,
  ): Promise<Float32Array> {
    const images = await vae.decode(this.#host, options, latents, onProgress);
    return transfer(images, [images.buffer]);
  }

  async ganGenerate(
    options: CallOptions & { snapshot?: number },
    latents: Float32Array,
    onProgress?: ProgressCallback,
  ): Promise<Float32Array> {
    const images = await gan.generate(this.#host, options, latents, onProgress);
    return transfer(images, [images.buffer]);
  }

  async ganDiscriminate(
    options: CallOptions & { snapshot?: number },
    images: Float32Array,
    onProgress?: ProgressCallback,
  ): Promise<Float32Array> {
    const probabilities = await gan.discriminate(this.#host, options, images, onProgress);
    return transfer(probabilities, [probabilities.buffer]);
  }

  /** The detective-against-counterfeiter matrix, streaming each row as it is judged. */
  ganDuelMatrix(
    options: DuelMatrixRequest,
    onRow?: DuelMatrixRowCallback,
    onProgress?: ProgressCallback,
  ): Promise<DuelMatrixResult> {
    const { callId } = options;
    if (callId !== undefined) this.#abortable.add(callId);
    const isAborted = () => callId !== undefined && this.#aborted.has(callId);
    return gan
      .duelMatrix(
        this.#host,
        options,
        isAborted,
        onRow
          ? (row) => onRow(transfer(row, [row.accuracy.buffer, row.fakeRight.buffer]))
          : undefined,
        onProgress,
      )
      .then((result) =>
        transfer(result, [
          result.accuracy.buffer,
          result.realRight.buffer,
          result.fakeRight.buffer,
        ]),
      )
      .finally(() => {
        if (callId === undefined) return;
        this.#abortable.delete(callId);
        this.#aborted.delete(callId);
      });
  }

  async diffusionForward(options: ForwardRequest): Promise<ForwardResult> {
    const result = await diffusion.forward(this.#host, options);
    return transfer(result, [
      ...result.samples.map((sample) => sample.buffer),
      result.noise.buffer,
      result.alphasCumprod.buffer,
    ]);
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
    const isAborted = () => callId !== undefined && this.#aborted.has(callId);
    return diffusion
      .sample(this.#host, options, isAborted, transfer, onStep, onProgress)
      .then((result) =>
        transfer(
          result,
          result.image ? [result.sample.buffer, result.image.buffer] : [result.sample.buffer],
        ),
      )
      .finally(() => {
        if (callId === undefined) return;
        this.#abortable.delete(callId);
        this.#aborted.delete(callId);
      });
  }
}

installErrorTransfer();
Comlink.expose(new WorkerApi());
