import { html, nothing } from 'lit';
import type { TemplateResult } from 'lit';
import { drawTensor } from '../kit/draw.js';
import { emit, formatPercent } from '../kit/format.js';
import { GenvizRoundEvent } from './events.js';
import type { RoundCellResult } from './events.js';
import type { GenvizGanDuel } from './gan-duel.js';
import { discriminatorCorrect } from './round.js';
import type { DuelCell, DuelRound, DuelServices } from './round.js';

/** " (the discriminator after epoch 8)", or "" for the final discriminator. */
const detectiveEpoch = (host: GenvizGanDuel, round: DuelRound): string => {
  const index = round.pairing.detective;
  const snapshots = host.snapshots;
  const snapshot = snapshots.find((candidate) => candidate.index === index);
  return snapshot ? ` (the discriminator after epoch ${snapshot.epoch})` : '';
};

const says = (verdict: number) => (verdict >= 0.5 ? 'real' : 'fake');

/** "7 of 16 (44%)". */
const tally = (correct: number, total: number) =>
  `${correct} of ${total} (${formatPercent(correct / total)})`;

/**
 * The duel and the detective game of `<genviz-gan-duel>`: the round's grid with the
 * discriminator's verdicts (shown at once in the duel, after the reveal in the game), the
 * reader's marks (toggle buttons: pressed = "I say real"), the reveal and both scores.
 */
export class DuelView {
  readonly #host: GenvizGanDuel;
  readonly #services: DuelServices;
  /** Positions the reader marked real. */
  readonly #marks = new Set<number>();
  #revealed = false;
  /** The round and game (mode) the marks and the reveal belong to. */
  #roundKey: string | undefined;

  constructor(host: GenvizGanDuel, services: DuelServices) {
    this.#host = host;
    this.#services = services;
  }

  get revealed(): boolean {
    return this.#revealed;
  }

  /** The reader's marks: for each position, whether it is marked real. */
  marks(round: DuelRound): boolean[] {
    this.#follow(round);
    return round.cells.map((_, position) => this.#marks.has(position));
  }

  /**
   * Marks and reveal belong to one round in one game: a new round starts clean, and so does
   * the detective's game on the round the duel revealed.
   */
  #follow(round: DuelRound): void {
    const key = `${round.key} ${this.#host.mode}`;
    if (this.#roundKey === key) return;
    this.#roundKey = key;
    this.#marks.clear();
    this.#revealed = false;
  }

  toggle(round: DuelRound, position: number, real?: boolean): void {
    this.#follow(round);
    if (this.#revealed) return;
    const marked = real ?? !this.#marks.has(position);
    if (marked) this.#marks.add(position);
    else this.#marks.delete(position);
    this.#host.requestUpdate();
  }

  /** Shows which images were real, scores the reader (detective) and the discriminator. */
  reveal(round: DuelRound): void {
    this.#follow(round);
    if (this.#revealed) return;
    this.#revealed = true;
    const host = this.#host;
    const detective = host.mode === 'detective';
    const total = round.cells.length;
    const machine = discriminatorCorrect(round.cells);
    const cells: RoundCellResult[] = round.cells.map((cell, position) => ({
      real: cell.real,
      verdict: cell.verdict,
      markedReal: detective ? this.#marks.has(position) : null,
    }));
    const reader = detective
      ? cells.filter((cell) => cell.markedReal === cell.real).length
      : undefined;
    this.#services.feedback.announce(
      `Revealed: ${round.cells.filter((cell) => cell.real).length} of ${total} were real. ${
        reader === undefined ? '' : `You were right on ${tally(reader, total)}. `
      }The discriminator was right on ${tally(machine, total)}.`,
    );
    host.requestUpdate();
    emit(
      host,
      new GenvizRoundEvent(
        host.mode,
        round.run,
        round.seed,
        cells,
        reader === undefined ? null : reader / total,
        machine / total,
      ),
    );
  }

  /** Arrow keys, Home and End move between the detective's cells, row by row as laid out. */
  #onGridKey = (event: KeyboardEvent) => {
    const cells = [
      ...(event.currentTarget as HTMLElement).querySelectorAll<HTMLElement>('button[part~="cell"]'),
    ];
    const from = cells.indexOf(event.target as HTMLElement);
    if (from < 0) return;
    const top = (cell: HTMLElement) => Math.round(cell.getBoundingClientRect().top);
    const columns = Math.max(1, cells.filter((cell) => top(cell) === top(cells[0]!)).length);
    const moves: Record<string, number> = {
      ArrowLeft: from - 1,
      ArrowRight: from + 1,
      ArrowUp: from - columns,
      ArrowDown: from + columns,
      Home: 0,
      End: cells.length - 1,
    };
    const to = moves[event.key];
    if (to === undefined) return;
    event.preventDefault();
    cells[Math.max(0, Math.min(cells.length - 1, to))]!.focus();
  };

  draw(root: ParentNode, round: DuelRound | undefined): void {
    if (!round) return;
    const canvases = root.querySelectorAll<HTMLCanvasElement>('canvas[data-cell]');
    for (const canvas of canvases) {
      drawTensor(canvas, round.cells[Number(canvas.dataset.cell)]?.image);
    }
  }

  /**
   * A cell's accessible name. A detective's cell is a button, whose name must hold its visible
   * text as one run (WCAG 2.5.3, axe label-content-name-mismatch), so a voice user can say what
   * they see: the name is the position, then the badges in the order they are drawn; the
   * sentence they stand for is the cell's description (#cellDescription).
   */
  #cellLabel(cell: DuelCell, position: number, total: number, detective: boolean): string {
    const parts = [`Image ${position + 1} of ${total}`];
    if (!detective) {
      parts.push(`the discriminator says ${formatPercent(cell.verdict)} real`);
      if (this.#revealed) parts.push(cell.real ? 'it was real' : 'it was a fake');
      return parts.join(', ');
    }
    if (this.#revealed) parts.push(`${formatPercent(cell.verdict)} real`);
    parts.push(this.#marks.has(position) ? 'I say real' : 'I say fake');
    if (this.#revealed) parts.push(cell.real ? 'Real' : 'Fake');
    return parts.join(', ');
  }

  #cellDescription(cell: DuelCell): string {
    return this.#revealed
      ? `The discriminator says ${formatPercent(cell.verdict)} real; it was ${cell.real ? 'real' : 'a fake'}.`
      : 'Press to say real, again to say fake.';
  }

  #renderCell(round: DuelRound, position: number, detective: boolean) {
    const cell = round.cells[position]!;
    const total = round.cells.length;
    const revealed = this.#revealed;
    const showVerdict = !detective || revealed;
    const inner = html`<canvas
        part="cell-image"
        class="pixels"
        width="28"
        height="28"
        aria-hidden="true"
        data-cell=${position}
      ></canvas>
      ${
        showVerdict
          ? html`<span part="verdict" class=${says(cell.verdict)} data-verdict=${cell.verdict}
              >${formatPercent(cell.verdict)} real</span
            >`
          : nothing
      }
      ${
        detective
          ? html`<span part="mark" aria-hidden="true"
              >${this.#marks.has(position) ? 'I say real' : 'I say fake'}</span
            >`
          : nothing
      }
      ${
        revealed
          ? html`<span part="truth" class=${cell.real ? 'real' : 'fake'}
              >${cell.real ? 'Real' : 'Fake'}</span
            >`
          : nothing
      }`;
    const label = this.#cellLabel(cell, position, total, detective);
    const state = revealed ? (cell.real ? 'real' : 'fake') : 'hidden';
    return html`<li>
      ${
        detective
          ? html`<button
                part="cell"
                type="button"
                data-truth=${state}
                aria-pressed=${this.#marks.has(position) ? 'true' : 'false'}
                aria-disabled=${revealed ? 'true' : 'false'}
                aria-label=${label}
                aria-describedby=${`cell-description-${position}`}
                @click=${() => this.toggle(round, position)}
              >
                ${inner}
              </button>
              <span id=${`cell-description-${position}`} hidden
                >${this.#cellDescription(cell)}</span
              >`
          : html`<figure part="cell" data-truth=${state} role="img" aria-label=${label}>
              ${inner}
            </figure>`
      }
    </li>`;
  }

  render(round: DuelRound | undefined, pending: boolean): TemplateResult {
    const host = this.#host;
    const detective = host.mode === 'detective';
    if (round) this.#follow(round);
    const total = round?.cells.length ?? 0;
    const machine = round ? discriminatorCorrect(round.cells) : 0;
    const reader = round
      ? round.cells.filter((cell, position) => this.#marks.has(position) === cell.real).length
      : 0;
    return html`<section
      part=${detective ? 'detective' : 'duel'}
      role="group"
      aria-label=${detective ? 'Play detective' : 'The duel'}
    >
      <p class="hint">
        ${
          detective
            ? 'Some of these are real handwritten digits, some are the generator’s fakes. Press each image you think is real, then reveal: your score is set beside the discriminator’s on the same images.'
            : 'Real handwritten digits and the generator’s fakes, shuffled. Each badge is the discriminator’s verdict: how likely it thinks the image is real.'
        }
      </p>
      ${
        round
          ? html`<ul
              part="grid"
              aria-label="Round of ${total} images"
              aria-busy=${pending ? 'true' : 'false'}
              @keydown=${detective ? this.#onGridKey : nothing}
            >
              ${round.cells.map((_, position) => this.#renderCell(round, position, detective))}
            </ul>`
          : html`<p part="placeholder" class="hint">${pending ? 'Making a round…' : ''}</p>`
      }
      <div part="actions" class="buttons">
        <button
          part="button reveal-button"
          type="button"
          ?disabled=${!round || this.#revealed}
          @click=${() => round && this.reveal(round)}
        >
          ${detective ? 'Reveal and score' : 'Reveal which were real'}
        </button>
        <button part="button new-round-button" type="button" @click=${() => host.newSeed()}>
          New round
        </button>
      </div>
      ${
        round && this.#revealed
          ? html`<p
              part="score"
              data-reader=${detective ? reader / total : ''}
              data-discriminator=${machine / total}
            >
              ${detective ? html`<span>You: <strong>${tally(reader, total)}</strong> right.</span>` : nothing}
              <span
                >The detective${detectiveEpoch(host, round)}:
                <strong>${tally(machine, total)}</strong> right on the same images (it calls an
                image real at 50% or more).</span
              >
            </p>`
          : nothing
      }
    </section>`;
  }
}
