import type { GanSnapshot } from '@genviz/core';
import { html, nothing } from 'lit';
import type { TemplateResult } from 'lit';
import { formatPercent } from '../kit/format.js';
import { MATRIX_FAKES, MATRIX_REAL, winnerOf } from './matrix.js';
import type { Pairing } from './settings.js';

export type Side = 'detective' | 'counterfeiter';

const SIDE_LABELS: Readonly<Record<Side, string>> = {
  detective: 'Detective’s training',
  counterfeiter: 'Counterfeiter’s training',
};

function renderSlider(
  side: Side,
  snapshots: readonly GanSnapshot[],
  index: number | undefined,
  choose: (side: Side, index: number) => void,
): TemplateResult | typeof nothing {
  if (snapshots.length === 0) return nothing;
  const last = snapshots.at(-1)!;
  const position = Math.max(
    0,
    snapshots.findIndex((snapshot) => snapshot.index === (index ?? last.index)),
  );
  const current = snapshots[position]!;
  const set = (event: Event) =>
    choose(side, snapshots[(event.target as HTMLInputElement).valueAsNumber]!.index);
  // The slider moves over positions in the list, so a history with gaps has no dead stops.
  return html`<label class="slider-row">
    <span>${SIDE_LABELS[side]}</span>
    <input
      part="slider ${side}-slider"
      type="range"
      min="0"
      max=${snapshots.length - 1}
      step="1"
      .value=${String(position)}
      aria-valuetext="epoch ${current.epoch} (snapshot ${current.index} of ${last.index})"
      @input=${set}
      @change=${set}
    />
    <output>epoch ${current.epoch}</output>
  </label>`;
}

/**
 * The duel's two sliders over the run's training snapshots (the detective's over those that kept
 * their discriminator) and the line that says who is winning, from the pairing's share of right
 * calls on the arms race's real digits and fakes.
 */
export function renderPairingSliders(
  snapshots: readonly GanSnapshot[] | undefined,
  pairing: Pairing,
  choose: (side: Side, index: number) => void,
  score: { accuracy: number; text: string } | undefined,
): TemplateResult | typeof nothing {
  if (!snapshots || snapshots.length === 0) return nothing;
  const judges = snapshots.filter((snapshot) => snapshot.discriminatorVariants);
  const epoch = (index: number | undefined) =>
    snapshots.find((snapshot) => snapshot.index === index)?.epoch;
  const detectiveEpoch = epoch(pairing.detective);
  const counterfeiterEpoch = epoch(pairing.counterfeiter);
  return html`<div part="pairing" data-winner=${score ? winnerOf(score.accuracy) : ''}>
    ${judges.length > 0 ? renderSlider('detective', judges, pairing.detective, choose) : nothing}
    ${renderSlider('counterfeiter', snapshots, pairing.counterfeiter, choose)}
    <p part="winner" data-accuracy=${score ? score.accuracy : ''}>
      ${
        score
          ? html`The detective
              ${detectiveEpoch === undefined ? '(final)' : `after epoch ${detectiveEpoch}`} against
              the counterfeiter
              ${counterfeiterEpoch === undefined ? '(final)' : `after epoch ${counterfeiterEpoch}`}:
              <strong>${score.text}</strong>. It calls ${formatPercent(score.accuracy)} of
              ${MATRIX_REAL} real digits and ${MATRIX_FAKES} fakes right.`
          : pairing.detective === undefined || pairing.counterfeiter === undefined
            ? ''
            : 'Scoring this pairing…'
      }
    </p>
  </div>`;
}
