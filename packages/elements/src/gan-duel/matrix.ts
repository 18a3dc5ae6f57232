import type { GanSnapshot } from '@genviz/core';
import type { HeldOutDigits } from '@genviz/runtime';
import { html } from 'lit';
import type { TemplateResult } from 'lit';
import { PIXELS, digitImage } from '../kit/digits.js';
import { emit, formatPercent } from '../kit/format.js';
import { seededLatents, seededPermutation } from '../kit/random.js';
import { RunController } from '../kit/run-controller.js';
import { GenvizMatrixEvent } from './events.js';
import type { GenvizGanDuel } from './gan-duel.js';
import { latentSizeOf, modelRef } from './round.js';
import type { DuelServices } from './round.js';
import { RUNS, RUN_LABELS, snapshotInfo } from './settings.js';
import type { GanRun, Pairing, SnapshotInfo } from './settings.js';

/** Real held-out digits and fakes judged in every cell of the matrix (and for a pairing's score). */
export const MATRIX_REAL = 64;
export const MATRIX_FAKES = 64;
// The matrix's real digits: another stream of the seed than the rounds' (see round.ts).
const MATRIX_STREAM = 0x78dde6e4;

/**
 * The images of every cell for a seed: MATRIX_REAL held-out digits (in [-1, 1]) and the latents
 * of MATRIX_FAKES fakes.
 */
export function matrixInputs(
  seed: number,
  digits: HeldOutDigits,
  latentSize: number,
): { real: Float32Array; latents: Float32Array } {
  const picked = seededPermutation((seed + MATRIX_STREAM) >>> 0, digits.count).slice(
    0,
    MATRIX_REAL,
  );
  const real = new Float32Array(MATRIX_REAL * PIXELS);
  picked.forEach((index, k) => real.set(digitImage(digits, index).image, k * PIXELS));
  return { real, latents: seededLatents(seed, MATRIX_FAKES, latentSize) };
}

/** A run's arms race: detective i (rows) against counterfeiter j (columns). */
export interface DuelMatrix {
  readonly run: GanRun;
  readonly detectives: readonly SnapshotInfo[];
  readonly counterfeiters: readonly SnapshotInfo[];
  /** Row-major share of right calls; NaN where the row is not judged yet. */
  readonly accuracy: Float32Array;
  /** Per row: real digits called real; row-major: fakes called fake. */
  readonly realRight: Uint16Array;
  readonly fakeRight: Uint16Array;
  /** Rows judged so far. */
  rows: number;
}

/** Who is ahead, from the detective's share of right calls on 64 real digits and 64 fakes. */
export type Winner = 'detective' | 'counterfeiter' | 'even';
export const winnerOf = (accuracy: number): Winner =>
  accuracy >= 0.7 ? 'detective' : accuracy < 0.6 ? 'counterfeiter' : 'even';

export const describeWinner = (accuracy: number): string => {
  const winner = winnerOf(accuracy);
  return winner === 'detective'
    ? 'the detective is winning'
    : winner === 'counterfeiter'
      ? 'the counterfeiter is winning: it fools the detective'
      : 'it is close';
};

const judgeSnapshots = (snapshots: readonly GanSnapshot[]) =>
  snapshots.filter((snapshot) => snapshot.discriminatorVariants);

/** "detective epoch 8 against counterfeiter epoch 2: 91% right". */
export const cellLabel = (
  detective: SnapshotInfo,
  counterfeiter: SnapshotInfo,
  accuracy: number,
): string =>
  `detective epoch ${detective.epoch} against counterfeiter epoch ${counterfeiter.epoch}: ${
    Number.isNaN(accuracy) ? 'not judged yet' : `${formatPercent(accuracy)} right`
  }`;

/**
 * The arms race of `<genviz-gan-duel>`: for each run, the discriminator of every training
 * snapshot against the generator of every snapshot, on the same real digits and fakes (the
 * seed's), filled in row by row as the worker judges; and the score of the duel's pairing.
 */
export class MatrixView {
  readonly run: RunController<DuelMatrix[]>;
  readonly score: RunController<{ key: string; accuracy: number }>;
  readonly #host: GenvizGanDuel;
  readonly #services: DuelServices;
  readonly #matrices = new Map<string, DuelMatrix>();
  #requested: string | undefined;
  #scoreKey: string | undefined;
  /** The cell the matrix's keyboard focus is on, per run: [row, column]. */
  readonly #focus = new Map<GanRun, [number, number]>();

  constructor(host: GenvizGanDuel, services: DuelServices) {
    this.#host = host;
    this.#services = services;
    this.run = new RunController<DuelMatrix[]>(host, { onError: services.feedback.report });
    this.score = new RunController(host, { onError: services.feedback.report });
  }

  #key(run: GanRun): string {
    const host = this.#host;
    return JSON.stringify([run, modelRef(host, run), host.device, host.seed]);
  }

  /** The matrices of the current settings, complete or being filled (healthy first). */
  get matrices(): readonly DuelMatrix[] {
    return RUNS.flatMap((run) => this.#matrices.get(this.#key(run)) ?? []);
  }

  /** Fills both runs' matrices, unless they are filled or being filled. */
  update(): void {
    const key = JSON.stringify(RUNS.map((run) => this.#key(run)));
    if (this.#requested === key && this.run.status !== 'initial') return;
    this.#requested = key;
    void this.run.run(async (signal) => {
      const matrices: DuelMatrix[] = [];
      for (const run of RUNS) matrices.push(await this.#fill(run, signal));
      return matrices;
    });
  }

  /**
   * Stops filling (the reader left the matrix, or opened a duel from it): the worker is free for
   * the duel at once; rows already judged stay, and the fill starts over when the matrix is back.
   */
  pause(): void {
    if (!this.run.pending) return;
    this.#requested = undefined;
    this.run.abort();
  }

  reset(): void {
    this.#requested = undefined;
    this.#scoreKey = undefined;
    this.run.reset();
    this.score.reset();
  }

  /** The same real digits and latents for every cell: the seed's. */
  async #inputs(run: GanRun, signal: AbortSignal) {
    const loaded = await this.#services.gan(run).ensure();
    const digits = await this.#services.runtime().data.heldOutDigits({ signal });
    const inputs = matrixInputs(this.#host.seed, digits, latentSizeOf(loaded.manifest));
    return { manifest: loaded.manifest, ...inputs };
  }

  async #fill(run: GanRun, signal: AbortSignal): Promise<DuelMatrix> {
    const key = this.#key(run);
    const stored = this.#matrices.get(key);
    if (stored && stored.rows === stored.detectives.length) return stored;
    const { manifest, real, latents } = await this.#inputs(run, signal);
    const snapshots = manifest.snapshots ?? [];
    const judges = judgeSnapshots(snapshots);
    if (judges.length === 0) {
      throw new Error(
        `The ${run} run's model (${manifest.id}) kept no discriminator snapshots, so it has no arms-race matrix.`,
      );
    }
    const rows = judges.length;
    const columns = snapshots.length;
    const matrix: DuelMatrix = {
      run,
      detectives: judges.map(snapshotInfo),
      counterfeiters: snapshots.map(snapshotInfo),
      accuracy: new Float32Array(rows * columns).fill(Number.NaN),
      realRight: new Uint16Array(rows),
      fakeRight: new Uint16Array(rows * columns),
      rows: 0,
    };
    this.#matrices.set(key, matrix);
    const host = this.#host;
    const result = await this.#services.runtime().gan.duelMatrix({
      model: modelRef(host, run),
      device: host.device,
      signal,
      real,
      latents,
      detectives: judges.map((snapshot) => snapshot.index),
      counterfeiters: snapshots.map((snapshot) => snapshot.index),
      onRow: (row) => {
        if (this.#matrices.get(key) !== matrix) return;
        matrix.accuracy.set(row.accuracy, row.row * columns);
        matrix.fakeRight.set(row.fakeRight, row.row * columns);
        matrix.realRight[row.row] = row.realRight;
        matrix.rows = row.row + 1;
        host.requestUpdate();
      },
    });
    matrix.accuracy.set(result.accuracy);
    matrix.fakeRight.set(result.fakeRight);
    matrix.realRight.set(result.realRight);
    matrix.rows = rows;
    host.requestUpdate();
    const table = matrix.detectives.map((_, i) =>
      Array.from(matrix.accuracy.subarray(i * columns, (i + 1) * columns)),
    );
    this.#services.feedback.announce(
      `${RUN_LABELS[run]}: the arms-race matrix is complete, ${rows} detectives against ${columns} counterfeiters.`,
    );
    emit(
      host,
      new GenvizMatrixEvent(
        run,
        matrix.detectives,
        matrix.counterfeiters,
        table,
        MATRIX_REAL,
        MATRIX_FAKES,
      ),
    );
    return matrix;
  }

  /** The pairing's share of right calls on the matrix's images, where known. */
  accuracyOf(pairing: Pairing): number | undefined {
    const matrix = this.#matrices.get(this.#key(pairing.run));
    if (matrix) {
      const row = matrix.detectives.findIndex((d) => d.index === pairing.detective);
      const column = matrix.counterfeiters.findIndex((c) => c.index === pairing.counterfeiter);
      const value =
        row >= 0 && column >= 0
          ? matrix.accuracy[row * matrix.counterfeiters.length + column]
          : undefined;
      if (value !== undefined && !Number.isNaN(value)) return value;
    }
    const scored = this.score.value;
    return scored && scored.key === this.#pairingKey(pairing) ? scored.accuracy : undefined;
  }

  #pairingKey(pairing: Pairing): string {
    return JSON.stringify([this.#key(pairing.run), pairing.detective, pairing.counterfeiter]);
  }

  /** Scores the duel's pairing on the matrix's images (one cell), unless the matrix has it. */
  updateScore(pairing: Pairing): void {
    if (pairing.detective === undefined || pairing.counterfeiter === undefined) return;
    const key = this.#pairingKey(pairing);
    if (this.#scoreKey === key && this.score.status !== 'initial') return;
    this.#scoreKey = key;
    const { detective, counterfeiter } = pairing;
    void this.score.run(async (signal) => {
      const known = this.accuracyOf(pairing);
      if (known !== undefined) return { key, accuracy: known };
      const { real, latents } = await this.#inputs(pairing.run, signal);
      const result = await this.#services.runtime().gan.duelMatrix({
        model: modelRef(this.#host, pairing.run),
        device: this.#host.device,
        signal,
        real,
        latents,
        detectives: [detective],
        counterfeiters: [counterfeiter],
      });
      return { key, accuracy: result.accuracy[0]! };
    });
  }

  /** Opens the duel of a cell. */
  #open(run: GanRun, detective: SnapshotInfo, counterfeiter: SnapshotInfo): void {
    const host = this.#host;
    host.snapshot = undefined;
    host.run = run;
    host.detectiveSnapshot = detective.index;
    host.counterfeiterSnapshot = counterfeiter.index;
    host.mode = 'duel';
  }

  /** Arrow keys move between cells by row and column; Home and End to the row's ends. */
  #onKey = (event: KeyboardEvent, matrix: DuelMatrix) => {
    const target = event.target as HTMLElement;
    const row = Number(target.dataset.row);
    const column = Number(target.dataset.column);
    if (Number.isNaN(row) || Number.isNaN(column)) return;
    const rows = matrix.detectives.length;
    const columns = matrix.counterfeiters.length;
    const moves: Record<string, [number, number]> = {
      ArrowLeft: [row, column - 1],
      ArrowRight: [row, column + 1],
      ArrowUp: [row - 1, column],
      ArrowDown: [row + 1, column],
      Home: [row, 0],
      End: [row, columns - 1],
    };
    const to = moves[event.key];
    if (!to) return;
    event.preventDefault();
    const next: [number, number] = [
      Math.max(0, Math.min(rows - 1, to[0])),
      Math.max(0, Math.min(columns - 1, to[1])),
    ];
    this.#focus.set(matrix.run, next);
    const grid = event.currentTarget as HTMLElement;
    grid
      .querySelector<HTMLElement>(`button[data-row="${next[0]}"][data-column="${next[1]}"]`)
      ?.focus();
    this.#host.requestUpdate();
  };

  #cellStyle(accuracy: number): string {
    if (Number.isNaN(accuracy)) return '';
    // 50%: the surface (a coin flip); towards 100% the accent (the detective wins), towards
    // 0% the second colour (the counterfeiter fools it).
    const strength = Math.round(Math.min(1, Math.abs(accuracy - 0.5) * 2) * 100);
    const colour = accuracy >= 0.5 ? 'var(--_accent)' : 'var(--_second)';
    return `background: color-mix(in srgb, ${colour} ${strength}%, var(--_surface))`;
  }

  #renderMatrix(matrix: DuelMatrix | undefined, run: GanRun, pairing: Pairing): TemplateResult {
    const label = `${RUN_LABELS[run]}: detective against counterfeiter`;
    if (!matrix) {
      return html`<figure part="matrix-run matrix-${run}" data-rows="0">
        <figcaption><strong>${RUN_LABELS[run]}</strong></figcaption>
        <p class="hint">${this.run.pending ? 'Loading…' : ''}</p>
      </figure>`;
    }
    const columns = matrix.counterfeiters.length;
    const current =
      pairing.run === run
        ? [
            matrix.detectives.findIndex((d) => d.index === pairing.detective),
            matrix.counterfeiters.findIndex((c) => c.index === pairing.counterfeiter),
          ]
        : [-1, -1];
    const focus =
      this.#focus.get(run) ??
      (current[0]! >= 0 && current[1]! >= 0 ? (current as [number, number]) : [0, 0]);
    const complete = matrix.rows === matrix.detectives.length;
    const shown = matrix.accuracy[focus[0] * columns + focus[1]]!;
    return html`<figure
      part="matrix-run matrix-${run}"
      data-rows=${matrix.rows}
      data-complete=${complete ? 'true' : 'false'}
    >
      <figcaption>
        <strong>${RUN_LABELS[run]}</strong>
        <span>rows: the detective’s epoch · columns: the counterfeiter’s epoch</span>
      </figcaption>
      <div
        part="matrix-grid"
        role="group"
        aria-label=${label}
        aria-busy=${complete ? 'false' : 'true'}
        style="--columns: ${columns}"
        @keydown=${(event: KeyboardEvent) => this.#onKey(event, matrix)}
      >
        <span class="corner" aria-hidden="true"></span>
        ${matrix.counterfeiters.map(
          (c) => html`<span class="head" aria-hidden="true">${c.epoch}</span>`,
        )}
        ${matrix.detectives.map(
          (detective, i) =>
            html`<span class="head" aria-hidden="true">${detective.epoch}</span>
              ${matrix.counterfeiters.map((counterfeiter, j) => {
                const accuracy = matrix.accuracy[i * columns + j]!;
                const isCurrent = i === current[0] && j === current[1];
                return html`<button
                  part="matrix-cell"
                  type="button"
                  data-row=${i}
                  data-column=${j}
                  data-accuracy=${Number.isNaN(accuracy) ? '' : accuracy}
                  ?data-diagonal=${detective.index === counterfeiter.index}
                  aria-current=${isCurrent ? 'true' : 'false'}
                  tabindex=${i === focus[0] && j === focus[1] ? '0' : '-1'}
                  aria-label=${cellLabel(detective, counterfeiter, accuracy)}
                  style=${this.#cellStyle(accuracy)}
                  @focus=${() => {
                    this.#focus.set(run, [i, j]);
                    this.#host.requestUpdate();
                  }}
                  @click=${() => this.#open(run, detective, counterfeiter)}
                ></button>`;
              })}`,
        )}
      </div>
      <p part="matrix-readout" aria-hidden="true">
        ${
          Number.isNaN(shown)
            ? `Detective epoch ${matrix.detectives[focus[0]]!.epoch} against counterfeiter epoch ${matrix.counterfeiters[focus[1]]!.epoch}: judging…`
            : `Detective epoch ${matrix.detectives[focus[0]]!.epoch} against counterfeiter epoch ${matrix.counterfeiters[focus[1]]!.epoch}: ${formatPercent(shown)} right (${matrix.realRight[focus[0]]} of ${MATRIX_REAL} real digits, ${matrix.fakeRight[focus[0] * columns + focus[1]]} of ${MATRIX_FAKES} fakes); ${describeWinner(shown)}.`
        }
      </p>
    </figure>`;
  }

  render(pairing: Pairing): TemplateResult {
    const matrices = this.matrices;
    return html`<section part="matrix" aria-label="Arms race">
      <p class="hint">
        The arms race. Each square pits the detective (the discriminator) after the row’s epoch of
        training against the counterfeiter (the generator) after the column’s epoch, on the same
        ${MATRIX_REAL} real digits and ${MATRIX_FAKES} fakes. Strong
        <span class="key accent">accent</span>: the detective calls nearly all of them right; strong
        <span class="key second">second colour</span>: the counterfeiter fools it. The outlined
        diagonal is the training run itself, each side against its contemporary. Press a square to
        open that duel.
      </p>
      <div class="matrices">
        ${RUNS.map((run) =>
          this.#renderMatrix(
            matrices.find((matrix) => matrix.run === run),
            run,
            pairing,
          ),
        )}
      </div>
    </section>`;
  }
}
