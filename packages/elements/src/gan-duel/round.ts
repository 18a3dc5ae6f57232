import type { ModelManifest } from '@genviz/core';
import type { GenvizRuntime } from '@genviz/runtime';
import { PIXELS, digitImage } from '../kit/digits.js';
import type { FeedbackController } from '../kit/feedback-controller.js';
import type { ModelController } from '../kit/model-controller.js';
import { seededLatents, seededPermutation, steerDigitCode } from '../kit/random.js';
import { RunController } from '../kit/run-controller.js';
import type { GenvizGanDuel } from './gan-duel.js';
import { RealVerdicts } from './real-verdicts.js';
import type { GanRun, Pairing } from './settings.js';
import { CODE_SIZE, pairingOf } from './settings.js';

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
  /** The snapshots whose discriminator judged and whose generator made the fakes (undefined: final). */
  readonly pairing: Pairing;
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

/** Which snapshots face each other in the element's run (see `pairingOf`). */
export const currentPairing = (host: GenvizGanDuel, services: DuelServices): Pairing =>
  pairingOf(host, services.gan(host.run).loaded?.manifest.snapshots);

/** The settings a round depends on. */
export const roundKey = (host: GenvizGanDuel, pairing: Pairing): string =>
  JSON.stringify([
    host.run,
    modelRef(host, host.run),
    host.device,
    host.seed,
    host.gridSize,
    pairing.counterfeiter ?? null,
    pairing.detective ?? null,
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
 * by the seed, every image judged by the run's discriminator (the fakes and the real digits it
 * has not judged before in one batch; see RealVerdicts).
 */
export class Round {
  readonly run: RunController<DuelRound>;
  readonly #host: GenvizGanDuel;
  readonly #services: DuelServices;
  readonly #reals: RealVerdicts;
  #key: string | undefined;

  constructor(host: GenvizGanDuel, services: DuelServices) {
    this.#host = host;
    this.#services = services;
    this.#reals = new RealVerdicts(host);
    this.run = new RunController<DuelRound>(host, { onError: services.feedback.report });
  }

  /** How many held-out digits the run's discriminator has judged (kept for later rounds). */
  get realVerdictsKnown(): number {
    return this.#reals.known(this.#services.runtime(), this.#verdictKey());
  }

  #verdictKey(detective = this.#pairing().detective): string {
    return JSON.stringify([
      modelRef(this.#host, this.#host.run),
      this.#host.device,
      detective ?? null,
    ]);
  }

  #pairing(): Pairing {
    return currentPairing(this.#host, this.#services);
  }

  get value(): DuelRound | undefined {
    return this.run.value?.key === roundKey(this.#host, this.#pairing())
      ? this.run.value
      : undefined;
  }

  /** Makes the round of the current settings, unless it is made or being made. */
  update(): void {
    const pairing = this.#pairing();
    const key = roundKey(this.#host, pairing);
    if (this.#key === key && this.run.status !== 'initial') return;
    this.#key = key;
    void this.run.run((signal) => this.#make(key, pairing, signal));
  }

  /** Forgets the round (a retry after a failure). */
  reset(): void {
    this.#key = undefined;
    this.run.reset();
  }

  async #make(key: string, pairing: Pairing, signal: AbortSignal): Promise<DuelRound> {
    const host = this.#host;
    const { run, seed, gridSize } = host;
    const runtime = this.#services.runtime();
    // The background judging of held-out digits waits: this round needs the worker.
    this.#reals.stop();
    const started = performance.now();
    const fakes = Math.floor(gridSize / 2);
    const reals = gridSize - fakes;
    const [digits, fakeImages] = await Promise.all([
      runtime.data.heldOutDigits({ signal }),
      generateFakes(host, this.#services, run, fakes, pairing.counterfeiter, signal),
    ]);
    const verdictKey = this.#verdictKey(pairing.detective);
    const known = this.#reals.table(runtime, verdictKey, digits.count);
    const realIndices = seededPermutation(stream(seed, REALS_STREAM), digits.count).slice(0, reals);
    const order = seededPermutation(stream(seed, ORDER_STREAM), gridSize);
    const batch = new Float32Array(gridSize * PIXELS);
    const sources = order.map((source, position) => {
      if (source < fakes) {
        batch.set(fakeImages.subarray(source * PIXELS, (source + 1) * PIXELS), position * PIXELS);
        return { real: false, label: undefined, index: -1 };
      }
      const digit = digitImage(digits, realIndices[source - fakes]!);
      batch.set(digit.image, position * PIXELS);
      return { real: true, label: digit.label, index: digit.index };
    });
    // Judged now: the fakes, and the real digits this discriminator has not judged before.
    const toJudge = sources.flatMap((source, position) =>
      source.real && !Number.isNaN(known[source.index]) ? [] : [position],
    );
    const images = new Float32Array(toJudge.length * PIXELS);
    toJudge.forEach((position, k) =>
      images.set(batch.subarray(position * PIXELS, (position + 1) * PIXELS), k * PIXELS),
    );
    const judge = (input: Float32Array, judgeSignal: AbortSignal) =>
      runtime.gan.discriminate(input, {
        model: modelRef(host, run),
        device: host.device,
        snapshot: pairing.detective,
        signal: judgeSignal,
      });
    const judged = toJudge.length > 0 ? await judge(images, signal) : new Float32Array(0);
    const verdicts = new Float32Array(gridSize);
    sources.forEach((source, position) => {
      if (source.real) verdicts[position] = known[source.index]!;
    });
    toJudge.forEach((position, k) => {
      verdicts[position] = judged[k]!;
      const { index } = sources[position]!;
      if (index >= 0) known[index] = judged[k]!;
    });
    const cells = sources.map(({ real, label }, position) => ({
      real,
      label,
      image: batch.subarray(position * PIXELS, (position + 1) * PIXELS),
      verdict: verdicts[position]!,
    }));
    const elapsedMs = performance.now() - started;
    this.#reals.fill(runtime, verdictKey, digits, judge);
    return { key, run, seed, pairing, cells, elapsedMs };
  }
}

/** How many of the cells the discriminator called right (P(real) >= 0.5 called real). */
export const discriminatorCorrect = (cells: readonly DuelCell[]): number =>
  cells.filter((cell) => cell.verdict >= 0.5 === cell.real).length;
