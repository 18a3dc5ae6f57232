import { html, nothing } from 'lit';
import type { TemplateResult } from 'lit';
import { renderChoice } from '../kit/choice.js';
import { articleFor, digitConverter } from '../kit/format.js';
import type { GenvizGanDuel } from './gan-duel.js';
import { CODE_SIZE, MODES, MODE_LABELS, RUNS, RUN_LABELS } from './settings.js';
import type { GanDuelMode, GanRun } from './settings.js';

/** The view switch. Choosing mode collapse also shows the collapsed run. */
export function renderModes(host: GenvizGanDuel, choose: (mode: GanDuelMode) => void) {
  return renderChoice({
    part: 'modes',
    label: 'View',
    buttonPart: 'mode-button',
    choices: MODES,
    labels: MODE_LABELS,
    current: host.mode,
    choose,
  });
}

/**
 * The settings every view shares: which run makes the fakes, the digit asked of the healthy
 * generator's digit code (and what that code is), and the seed.
 */
export function renderControls(
  host: GenvizGanDuel,
  chooseRun: (run: GanRun) => void,
  latentSize: number | undefined,
): TemplateResult {
  const steerable = host.run === 'healthy' && host.mode !== 'collapse';
  return html`<div part="controls">
      ${renderChoice({
        part: 'runs',
        label: 'Training run',
        buttonPart: 'run-button',
        choices: RUNS,
        labels: RUN_LABELS,
        current: host.run,
        choose: chooseRun,
      })}
      ${
        steerable
          ? html`<label>
              <span>Digit</span>
              <select
                part="digit"
                @change=${(event: Event) =>
                  (host.digit = digitConverter.fromAttribute(
                    (event.target as HTMLSelectElement).value,
                  ))}
              >
                <option value="none" ?selected=${host.digit === null}>any</option>
                ${Array.from(
                  { length: CODE_SIZE },
                  (_, d) => html`<option value=${d} ?selected=${host.digit === d}>${d}</option>`,
                )}
              </select>
            </label>`
          : nothing
      }
      <label>
        <span>Seed</span>
        <input
          part="seed"
          type="number"
          min="0"
          step="1"
          .value=${String(host.seed)}
          @change=${(event: Event) => (host.seed = (event.target as HTMLInputElement).valueAsNumber)}
        />
      </label>
      <button part="button seed-button" type="button" @click=${() => host.newSeed()}>
        New seed
      </button>
    </div>
    ${
      steerable
        ? html`<p part="code" class="hint">
            The generator reads a digit code from its latent: of the ${latentSize ?? 64} random
            numbers it starts from, the largest of the first ${CODE_SIZE} picks the digit (entry 0
            for a 0, … entry 9 for a 9).
            ${
              host.digit === null
                ? 'Pick a digit to steer it.'
                : `For ${articleFor(host.digit)} ${host.digit}, each latent’s largest code entry swaps places with entry ${host.digit}, so entry ${host.digit} is now the largest.`
            }
          </p>`
        : host.run === 'collapsed' && host.mode !== 'collapse'
          ? html`<p part="code" class="hint">
              The collapsed run was trained without a digit code: whatever its latent, it draws much
              the same image.
            </p>`
          : nothing
    }`;
}
