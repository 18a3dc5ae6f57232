import type { ModelManifest } from '@genviz/core';
import type { GenvizRuntime } from '@genviz/runtime';
import { PIXELS, digitImage } from '../kit/digits.js';
import type { FeedbackController } from '../kit/feedback-controller.js';
import type { ModelController } from '../kit/model-controller.js';
import { seededLatents, seededPermutation, steerDigitCode } from '../kit/random.js';
import { RunController } from '../kit/run-controller.js';
import type { GenvizGanDuel } from './gan-duel.js';
import type { GanRun } from './settings.js';
import { CODE_SIZE } from './settings.js';

/** What the views of `<genviz-gan-duel>` share: the runtime, the models, what the reader is told. */
export interface DuelServices {
  readonly runtime: () => GenvizRuntime;
  readonly feedback: FeedbackController;
  /** The generator and discriminator of a run. */
  readonly gan: (run: GanRun) => ModelController;
  readonly classifier: ModelController;
  /** Whether the reader prefers reduced motion (nothing then moves by itself). */
  readonly reducedMotion: () => boolean;
}

/** One image of a round. */
export interface DuelCell {
  /** 28x28 in [-1, 1]. */
  readonly image: Float32Array;
  readonly real: boolean;
  /** The discriminator's P(real). */
  readonly verdict: number;
  /** A real digit's label (fakes: undefined). */
  readonly label: number | undefined;
}

export interface DuelRound {
  /** The settings it was made with (see `roundKey`). */
  readonly key: string;
  readonly run: GanRun;
  readonly seed: number;
  readonly cells: readonly DuelCell[];
  /** Time to generate the fakes and judge the whole grid, in ms. */
  readonly elapsedMs: number;
}

// Different streams for the fakes' latents, the real digits picked and the grid order, all from
// the one seed (golden-ratio offsets, as splitmix does).
const REALS_STREAM = 0x9e3779b9;
const ORDER_STREAM = 0x3c6ef372;
const stream = (seed: number, offset: number) => (seed + offset) >>> 0;

export const modelRef = (host: GenvizGanDuel, run: GanRun): string =>
  run === 'collapsed' ? host.collapsedModel : host.model;

/** The settings a round depends on. */
export const roundKey = (host: GenvizGanDuel): string =>
  JSON.stringify([
    host.run,
    modelRef(host, host.run),
    host.device,
    host.seed,
    host.gridSize,
    host.snapshot ?? null,
    host.digit,
  ]);

export const latentSizeOf = (manifest: ModelManifest): number =>
  Number(manifest.networks.generator?.inputs[0]?.shape[1] ?? 64);

/**
 * `count` fakes of `run`'s generator from the element's seed, at `snapshot` (undefined: the
 * final generator). With a digit asked for, the healthy run's latents carry it in their digit
 * code; `steer: false` keeps them as drawn (the diversity meters).
 */
export async function generateFakes(
  host: GenvizGanDuel,
  services: DuelServices,
  run: GanRun,
  count: number,
  snapshot: number | undefined,
  signal: AbortSignal,
  steer = true,
): Promise<Float32Array> {
  const loaded = await services.gan(run).ensure();
  const size = latentSizeOf(loaded.manifest);
  const latents = seededLatents(host.seed, count, size);
  if (steer && run === 'healthy' && host.digit !== null) {
    steerDigitCode(latents, size, host.digit, CODE_SIZE);
  }
  return services.runtime().gan.generate(latents, {
    model: modelRef(host, run),
    device: host.device,
    snapshot,
    signal,
  });
}

/**
 * A round of the duel: half real held-out digits, half fakes of the run's generator, shuffled
 * by the seed, every image judged by the run's discriminator in one batch.
 */
export class Round {
  readonly run: RunController<DuelRound>;
  readonly #host: GenvizGanDuel;
  readonly #services: DuelServices;
  #key: string | undefined;

  constructor(host: GenvizGanDuel, services: DuelServices) {
    this.#host = host;
    this.#services = services;
    this.run = new RunController<DuelRound>(host, { onError: services.feedback.report });
  }

  get value(): DuelRound | undefined {
    return this.run.value?.key === roundKey(this.#host) ? this.run.value : undefined;
  }

  /** Makes the round of the current settings, unless it is made or being made. */
  update(): void {
    const key = roundKey(this.#host);
    if (this.#key === key && this.run.status !== 'initial') return;
    this.#key = key;
    void this.run.run((signal) => this.#make(key, signal));
  }

  /** Forgets the round (a retry after a failure). */
  reset(): void {
    this.#key = undefined;
    this.run.reset();
  }

  async #make(key: string, signal: AbortSignal): Promise<DuelRound> {
    const host = this.#host;
    const { run, seed, gridSize } = host;
    const runtime = this.#services.runtime();
    const started = performance.now();
    const fakes = Math.floor(gridSize / 2);
    const reals = gridSize - fakes;
    const [digits, fakeImages] = await Promise.all([
      runtime.data.heldOutDigits({ signal }),
      generateFakes(host, this.#services, run, fakes, host.snapshot, signal),
    ]);
    const realIndices = seededPermutation(stream(seed, REALS_STREAM), digits.count).slice(0, reals);
    const order = seededPermutation(stream(seed, ORDER_STREAM), gridSize);
    const batch = new Float32Array(gridSize * PIXELS);
    const sources = order.map((source, position) => {
      if (source < fakes) {
        batch.set(fakeImages.subarray(source * PIXELS, (source + 1) * PIXELS), position * PIXELS);
        return { real: false, label: undefined };
      }
      const digit = digitImage(digits, realIndices[source - fakes]!);
      batch.set(digit.image, position * PIXELS);
      return { real: true, label: digit.label };
    });
    const verdicts = await runtime.gan.discriminate(batch, {
      model: modelRef(host, run),
      device: host.device,
      signal,
    });
    const cells = sources.map((source, position) => ({
      ...source,
      image: batch.subarray(position * PIXELS, (position + 1) * PIXELS),
      verdict: verdicts[position]!,
    }));
    return { key, run, seed, cells, elapsedMs: performance.now() - started };
  }
}

/** How many of the cells the discriminator called right (P(real) >= 0.5 called real). */
export const discriminatorCorrect = (cells: readonly DuelCell[]): number =>
  cells.filter((cell) => cell.verdict >= 0.5 === cell.real).length;
