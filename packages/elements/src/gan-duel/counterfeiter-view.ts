import { html, nothing } from 'lit';
import type { TemplateResult } from 'lit';
import type { GenvizDrawingPad } from '../drawing-pad/drawing-pad.js';
import { drawTensor } from '../kit/draw.js';
import { emit, formatPercent } from '../kit/format.js';
import { RunController } from '../kit/run-controller.js';
import { GenvizVerdictEvent } from './events.js';
import type { GenvizGanDuel } from './gan-duel.js';
import { currentPairing, modelRef } from './round.js';
import type { DuelCell, DuelRound, DuelServices } from './round.js';

/** The round's most convincing fake and its first real digit, beside the reader's drawing. */
export function rivals(round: DuelRound | undefined): { fake?: DuelCell; real?: DuelCell } {
  if (!round) return {};
  let fake: DuelCell | undefined;
  for (const cell of round.cells) {
    if (!cell.real && (!fake || cell.verdict > fake.verdict)) fake = cell;
  }
  return { fake, real: round.cells.find((cell) => cell.real) };
}

/**
 * "Be the counterfeiter" in `<genviz-gan-duel>`: the reader draws a digit, the run's
 * discriminator judges it, next to the generator's most convincing fake of the round and a
 * real digit.
 */
export class CounterfeiterView {
  readonly run: RunController<number>;
  readonly #host: GenvizGanDuel;
  readonly #services: DuelServices;
  #image: Float32Array | undefined;
  #judged: string | undefined;

  constructor(host: GenvizGanDuel, services: DuelServices) {
    this.#host = host;
    this.#services = services;
    this.run = new RunController<number>(host, { onError: services.feedback.report });
  }

  /** The drawing judged last (28x28 in [-1, 1]). */
  get image(): Float32Array | undefined {
    return this.#image;
  }

  /** The discriminator's P(real) for the drawing. */
  get verdict(): number | undefined {
    return this.#image ? this.run.value : undefined;
  }

  /** The discriminator (run, model, device) the last judgment was asked of. */
  #judgedBy(): string {
    const host = this.#host;
    return JSON.stringify([host.run, modelRef(host, host.run), host.device]);
  }

  /** Judges an image (28x28 in [-1, 1]) with the run's discriminator. */
  judge(image: Float32Array): Promise<number | undefined> {
    const copy = image.slice();
    this.#image = copy;
    this.#judged = this.#judgedBy();
    const host = this.#host;
    return this.run.run(async (signal) => {
      const run = host.run;
      await this.#services.gan(run).ensure();
      const [verdict] = await this.#services.runtime().gan.discriminate(copy, {
        model: modelRef(host, run),
        device: host.device,
        snapshot: currentPairing(host, this.#services).detective,
        signal,
      });
      this.#services.feedback.announce(
        `The discriminator says your drawing is ${formatPercent(verdict!)} real.`,
      );
      emit(host, new GenvizVerdictEvent(verdict!, copy));
      return verdict!;
    });
  }

  /**
   * Judges the drawing again when the run or its model changed since it was judged. A
   * judgment already asked of the current discriminator (`el.run = 'collapsed';
   * el.judge(image)`) is left to finish.
   */
  rejudge(): void {
    if (this.#image && this.#judged !== this.#judgedBy()) void this.judge(this.#image);
  }

  clear(): void {
    this.#image = undefined;
    this.#judged = undefined;
    this.run.reset();
  }

  #onPadChange = (event: Event) => {
    const pad = event.target as GenvizDrawingPad;
    if (pad.empty) this.clear();
    else void this.judge(pad.toTensor('minus-one-to-one'));
  };

  draw(root: ParentNode, round: DuelRound | undefined): void {
    const { fake, real } = rivals(round);
    drawTensor(root.querySelector<HTMLCanvasElement>('[part~="rival-fake"]'), fake?.image);
    drawTensor(root.querySelector<HTMLCanvasElement>('[part~="rival-real"]'), real?.image);
  }

  #renderRival(kind: 'fake' | 'real', cell: DuelCell | undefined, caption: string) {
    return html`<figure part="rival">
      <canvas
        part="rival-${kind}"
        class="pixels"
        width="28"
        height="28"
        role="img"
        aria-label=${cell ? `${caption}: the discriminator says ${formatPercent(cell.verdict)} real` : caption}
      ></canvas>
      <figcaption>
        ${caption}${
          cell
            ? html`:
                <strong data-verdict=${cell.verdict}>${formatPercent(cell.verdict)} real</strong>`
            : nothing
        }
      </figcaption>
    </figure>`;
  }

  render(round: DuelRound | undefined): TemplateResult {
    const { fake, real } = rivals(round);
    const verdict = this.verdict;
    return html`<section part="counterfeiter" role="group" aria-label="Be the counterfeiter">
      <p class="hint">
        Draw a digit and try to fool the discriminator. Beside it: the generator’s most convincing
        fake of this round, and a real digit.
      </p>
      <div class="counterfeit">
        <figure part="drawing">
          <genviz-drawing-pad
            exportparts="surface: drawing-surface, clear-button"
            label="Your counterfeit: draw a digit"
            @change=${this.#onPadChange}
          ></genviz-drawing-pad>
          <figcaption part="your-verdict" data-verdict=${verdict ?? ''}>
            ${
              verdict !== undefined
                ? html`Your drawing:
                    <strong>${formatPercent(verdict)} real</strong>
                    ${verdict >= 0.5 ? '— it fooled the discriminator.' : '— caught.'}`
                : this.run.pending
                  ? 'Judging…'
                  : 'Draw a digit first: the discriminator judges it when you lift the pen.'
            }
          </figcaption>
        </figure>
        ${this.#renderRival('fake', fake, 'Best fake of the round')}
        ${this.#renderRival('real', real, 'A real digit')}
      </div>
    </section>`;
  }
}
