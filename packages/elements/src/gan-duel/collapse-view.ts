import { html, nothing, svg } from 'lit';
import type { TemplateResult } from 'lit';
import { PIXELS } from '../kit/digits.js';
import { classHistogram, drawBars, entropyBits } from '../kit/diversity.js';
import { drawTensor } from '../kit/draw.js';
import { RunController } from '../kit/run-controller.js';
import type { GenvizGanDuel } from './gan-duel.js';
import { renderScrubber, shownIndex } from './history-view.js';
import { generateFakes, modelRef } from './round.js';
import type { DuelServices } from './round.js';
import { RUN_LABELS } from './settings.js';
import type { GanRun } from './settings.js';

/** Samples per diversity meter. */
export const METER_SAMPLES = 200;
/** Samples shown beside each meter. */
const STRIP = 8;
const MAX_BITS = Math.log2(10);

/** One run's diversity meter: what the classifier reads in a batch of its fakes. */
export interface DiversityMeter {
  readonly run: GanRun;
  /** The snapshot (undefined: the final generator). */
  readonly snapshot: number | undefined;
  /** How many samples the classifier read as each digit. */
  readonly counts: readonly number[];
  /** The entropy of `counts` in bits (3.32: every digit equally often; 0: one digit only). */
  readonly entropy: number;
  readonly samples: Float32Array;
}

const other = (run: GanRun): GanRun => (run === 'healthy' ? 'collapsed' : 'healthy');

/** A run's diversity over training: the meter's entropy at every snapshot. */
export interface EntropyHistory {
  readonly run: GanRun;
  readonly points: readonly {
    readonly index: number;
    readonly epoch: number;
    readonly entropy: number;
  }[];
}

const CHART_W = 320;
const CHART_H = 160;
const PAD = 28;

/**
 * Mode collapse in `<genviz-gan-duel>`: a diversity meter for the chosen run at the chosen
 * snapshot (the classifier's histogram of digits over a batch of fakes, and its entropy) with
 * the other run's final meter beside it.
 */
export class CollapseView {
  readonly run: RunController<DiversityMeter[]>;
  /** Every snapshot's entropy for both runs (the chart), after the meters. */
  readonly history: RunController<EntropyHistory[]>;
  readonly #host: GenvizGanDuel;
  readonly #services: DuelServices;
  readonly #stored = new Map<string, DiversityMeter>();
  #requested: string | undefined;

  constructor(host: GenvizGanDuel, services: DuelServices) {
    this.#host = host;
    this.#services = services;
    this.history = new RunController<EntropyHistory[]>(host, { onError: services.feedback.report });
    this.run = new RunController<DiversityMeter[]>(host, {
      onError: services.feedback.report,
      onComplete: (meters) =>
        services.feedback.announce(
          meters
            .map(
              (meter) =>
                `${RUN_LABELS[meter.run]}: ${meter.entropy.toFixed(2)} bits of ${MAX_BITS.toFixed(2)}; mostly ${mostCommon(meter)}.`,
            )
            .join(' '),
        ),
    });
  }

  get meters(): readonly DiversityMeter[] {
    return this.run.value ?? [];
  }

  /** The chart's series: each run's entropy per snapshot (empty until measured). */
  get entropyHistory(): readonly EntropyHistory[] {
    return this.history.value ?? [];
  }

  #requestKey(): string {
    const host = this.#host;
    return JSON.stringify([
      host.run,
      host.model,
      host.collapsedModel,
      host.classifier,
      host.device,
      host.seed,
      host.snapshot ?? null,
    ]);
  }

  update(): void {
    const key = this.#requestKey();
    if (this.#requested === key && this.run.status !== 'initial') return;
    this.#requested = key;
    void this.run
      .run(async (signal) => [
        await this.#meter(this.#host.run, this.#host.snapshot, signal),
        await this.#meter(other(this.#host.run), undefined, signal),
      ])
      .then((meters) => {
        // The chart waits for the meters the reader asked for, then fills in once per setting.
        if (meters && this.#charted !== this.#chartKey()) {
          this.#charted = this.#chartKey();
          void this.history.run((signal) => this.#histories(signal));
        }
      });
  }

  #charted: string | undefined;

  #chartKey(): string {
    const host = this.#host;
    return JSON.stringify([
      host.model,
      host.collapsedModel,
      host.classifier,
      host.device,
      host.seed,
    ]);
  }

  async #histories(signal: AbortSignal): Promise<EntropyHistory[]> {
    const histories: EntropyHistory[] = [];
    for (const run of ['healthy', 'collapsed'] as const) {
      const loaded = await this.#services.gan(run).ensure();
      const points = [];
      for (const snapshot of loaded.manifest.snapshots ?? []) {
        const meter = await this.#meter(run, snapshot.index, signal);
        points.push({ index: snapshot.index, epoch: snapshot.epoch, entropy: meter.entropy });
      }
      histories.push({ run, points });
    }
    return histories;
  }

  reset(): void {
    this.#requested = undefined;
    this.#charted = undefined;
    this.run.reset();
    this.history.reset();
  }

  #renderChart(): TemplateResult {
    const histories = this.entropyHistory;
    const longest = Math.max(2, ...histories.map((history) => history.points.length));
    const x = (position: number) => PAD + (position / (longest - 1)) * (CHART_W - PAD - 8);
    const y = (bits: number) => CHART_H - PAD + 4 - (bits / MAX_BITS) * (CHART_H - PAD - 8);
    const describe = (history: EntropyHistory) =>
      `${RUN_LABELS[history.run]}: ${history.points
        .map((point) => `epoch ${point.epoch} ${point.entropy.toFixed(2)} bits`)
        .join(', ')}`;
    return html`<figure part="entropy-history">
      <figcaption>
        Diversity at every training snapshot:
        <span class="key accent">${RUN_LABELS.healthy}</span>
        <span class="key second">${RUN_LABELS.collapsed}</span>
      </figcaption>
      <svg
        part="entropy-chart"
        viewBox="0 0 ${CHART_W} ${CHART_H}"
        role="img"
        aria-busy=${this.history.pending ? 'true' : 'false'}
        aria-label=${
          histories.length > 0
            ? `Entropy of the digits read in ${METER_SAMPLES} fakes, per snapshot. ${histories.map(describe).join('. ')}.`
            : 'Entropy per snapshot: measuring…'
        }
      >
        <line
          x1=${PAD}
          y1=${y(0)}
          x2=${CHART_W - 8}
          y2=${y(0)}
          stroke="currentColor"
          stroke-opacity="0.5"
        ></line>
        <line
          x1=${PAD}
          y1=${y(0)}
          x2=${PAD}
          y2=${y(MAX_BITS)}
          stroke="currentColor"
          stroke-opacity="0.5"
        ></line>
        <text
          x=${PAD - 4}
          y=${y(MAX_BITS) + 4}
          text-anchor="end"
          font-size="10"
          fill="currentColor"
        >
          ${MAX_BITS.toFixed(1)}
        </text>
        <text x=${PAD - 4} y=${y(0) + 4} text-anchor="end" font-size="10" fill="currentColor">
          0
        </text>
        <text
          x=${(CHART_W + PAD) / 2}
          y=${CHART_H - 4}
          text-anchor="middle"
          font-size="10"
          fill="currentColor"
        >
          training snapshot →
        </text>
        ${histories.map(
          (history) => svg`<polyline
            data-run=${history.run}
            fill="none"
            stroke-width="2"
            stroke=${history.run === 'healthy' ? 'var(--_accent)' : 'var(--_second)'}
            points=${history.points.map((point, k) => `${x(k)},${y(point.entropy)}`).join(' ')}
          ></polyline>`,
        )}
      </svg>
    </figure>`;
  }

  async #meter(
    run: GanRun,
    snapshot: number | undefined,
    signal: AbortSignal,
  ): Promise<DiversityMeter> {
    const host = this.#host;
    const key = JSON.stringify([
      modelRef(host, run),
      host.classifier,
      host.device,
      host.seed,
      snapshot ?? null,
    ]);
    const stored = this.#stored.get(key);
    if (stored) return stored;
    // Unsteered: the meter asks what the generator makes of standard-normal latents.
    const images = await generateFakes(
      host,
      this.#services,
      run,
      METER_SAMPLES,
      snapshot,
      signal,
      false,
    );
    await this.#services.classifier.ensure();
    const readings = await this.#services.runtime().classifier.read(images, {
      model: host.classifier,
      device: host.device,
      range: 'minus-one-to-one',
      signal,
    });
    const counts = classHistogram(readings);
    const meter: DiversityMeter = {
      run,
      snapshot,
      counts,
      entropy: entropyBits(counts),
      samples: images.slice(0, STRIP * PIXELS),
    };
    this.#stored.set(key, meter);
    return meter;
  }

  draw(root: ParentNode): void {
    for (const meter of this.meters) {
      drawBars(root.querySelector<HTMLCanvasElement>(`[part~="bars-${meter.run}"]`), meter.counts);
      const canvases = root.querySelectorAll<HTMLCanvasElement>(
        `canvas[data-meter="${meter.run}"]`,
      );
      canvases.forEach((canvas, i) =>
        drawTensor(canvas, meter.samples.subarray(i * PIXELS, (i + 1) * PIXELS)),
      );
    }
  }

  #renderMeter(run: GanRun, meter: DiversityMeter | undefined, snapshot: string): TemplateResult {
    return html`<figure part="meter meter-${run}" data-entropy=${meter ? meter.entropy : ''}>
      <figcaption><strong>${RUN_LABELS[run]}</strong> · ${snapshot}</figcaption>
      <ul class="strip" aria-label="${RUN_LABELS[run]}: ${STRIP} of its fakes">
        ${Array.from(
          { length: STRIP },
          () =>
            html`<li>
              <canvas
                class="pixels"
                width="28"
                height="28"
                data-meter=${run}
                aria-hidden="true"
              ></canvas>
            </li>`,
        )}
      </ul>
      <canvas
        part="bars bars-${run}"
        width="240"
        height="90"
        role="img"
        aria-label=${
          meter
            ? `What the classifier reads in ${METER_SAMPLES} fakes: ${meter.counts.map((count, digit) => `${digit}: ${count}`).join(', ')}`
            : 'Histogram of the digits read in the fakes'
        }
      ></canvas>
      <p part="entropy">
        ${
          meter
            ? html`Diversity: <strong>${meter.entropy.toFixed(2)} bits</strong> of
                ${MAX_BITS.toFixed(2)}; mostly ${mostCommon(meter)}.
                <meter min="0" max=${MAX_BITS} .value=${meter.entropy} aria-hidden="true"></meter>`
            : nothing
        }
      </p>
    </figure>`;
  }

  render(): TemplateResult {
    const host = this.#host;
    const chosen = host.run;
    const snapshots = this.#services.gan(chosen).loaded?.manifest.snapshots;
    const index = shownIndex(host, snapshots);
    const last = snapshots?.at(-1)?.index;
    const at = (meter: DiversityMeter | undefined) => meter?.run;
    const chosenMeter = this.meters.find((meter) => at(meter) === chosen);
    const otherMeter = this.meters.find((meter) => at(meter) === other(chosen));
    return html`<section part="collapse" role="group" aria-label="Mode collapse">
      <p class="hint">
        A collapsed generator makes one kind of image whatever its latent. The meter asks the
        classifier which digit each of ${METER_SAMPLES} fakes shows: an even spread is
        ${MAX_BITS.toFixed(2)} bits, one digit only is 0.
      </p>
      ${renderScrubber(host, snapshots)}
      <div class="meters" aria-busy=${this.run.pending ? 'true' : 'false'}>
        ${this.#renderMeter(
          chosen,
          chosenMeter,
          index === undefined || index === last ? 'end of training' : `snapshot ${index}`,
        )}
        ${this.#renderMeter(other(chosen), otherMeter, 'end of training')}
      </div>
      ${this.#renderChart()}
    </section>`;
  }
}

function mostCommon(meter: DiversityMeter): string {
  const total = meter.counts.reduce((sum, count) => sum + count, 0);
  const top = meter.counts.indexOf(Math.max(...meter.counts));
  return `${top} (${Math.round((100 * (meter.counts[top] ?? 0)) / Math.max(1, total))}%)`;
}
