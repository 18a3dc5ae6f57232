import { css } from 'lit';
import { kitStyles, tokenLayer } from '../kit/styles.js';

export const ganDuelStyles = [
  tokenLayer('gan-duel', { 'real-color': 'accent-color', 'fake-color': 'second-color' }),
  kitStyles,
  css`
    [part='base'] {
      container: duel / inline-size;
      /* An auto-fill grid inside sizes its min-content from its max-inline-size: one column that
         never grows past the element keeps it inside at 320 px. */
      grid-template-columns: minmax(0, 1fr);
    }
    section {
      display: grid;
      grid-template-columns: minmax(0, 1fr);
      gap: var(--_gap);
      min-inline-size: 0;
    }
    [part~='seed'] {
      inline-size: 8rem;
    }
    [part~='reveal-button'] {
      background: var(--_accent);
      color: var(--_background);
    }
    ul {
      list-style: none;
      margin: 0;
      padding: 0;
    }
    [part~='grid'] {
      display: grid;
      gap: 0.5rem;
      grid-template-columns: repeat(auto-fill, minmax(4.5rem, 1fr));
      max-inline-size: 48rem;
    }
    [part~='cell'] {
      position: relative;
      display: grid;
      gap: 0.2rem;
      inline-size: 100%;
      margin: 0;
      padding: 0.25rem;
      border: 2px solid transparent;
      border-radius: calc(var(--_radius) * 0.75);
      background: var(--_surface);
      color: var(--_text);
      font-size: 0.8em;
      text-align: center;
    }
    button[part~='cell'] {
      border-color: var(--_bar);
    }
    button[part~='cell'][aria-pressed='true'] {
      border-color: var(--_accent);
      background: var(--_surface);
      color: var(--_text);
    }
    button[part~='cell'][aria-disabled='true'] {
      cursor: default;
    }
    [part~='cell'][data-truth='real'] {
      border-color: var(--_real-color);
      border-style: solid;
    }
    [part~='cell'][data-truth='fake'] {
      border-color: var(--_fake-color);
      border-style: dashed;
    }
    [part~='verdict'] {
      border-radius: 999px;
      padding: 0 0.35rem;
      /* One line: wrapped, "43% / real" grows into the digit above it. */
      white-space: nowrap;
      font-variant-numeric: tabular-nums;
      color: var(--_background);
    }
    [part~='verdict'].real {
      background: var(--_accent);
    }
    [part~='verdict'].fake {
      background: var(--_second);
    }
    [part~='mark'] {
      color: var(--_muted);
    }
    button[aria-pressed='true'] [part~='mark'] {
      color: var(--_accent);
      font-weight: 600;
    }
    [part~='truth'] {
      font-weight: 600;
    }
    [part~='truth'].real {
      color: var(--_real-color);
    }
    [part~='truth'].fake {
      color: var(--_fake-color);
    }
    [part~='score'] {
      display: flex;
      flex-wrap: wrap;
      gap: 0.25rem 1rem;
    }
    .slider-row {
      grid-template-columns: auto minmax(0, 1fr) auto;
      max-inline-size: 40rem;
    }
    .history,
    .counterfeit,
    .meters {
      display: grid;
      gap: var(--_gap);
      align-items: start;
    }
    .history {
      grid-template-columns: minmax(0, 1fr) minmax(0, 1fr);
      max-inline-size: 56rem;
    }
    .strip {
      display: grid;
      gap: 0.25rem;
      grid-template-columns: repeat(auto-fill, minmax(2.5rem, 1fr));
    }
    [part~='chart'] {
      aspect-ratio: 32 / 15;
    }
    figcaption {
      display: flex;
      flex-wrap: wrap;
      gap: 0.1rem 0.6rem;
    }
    .key.accent {
      color: var(--_accent);
    }
    .key.second {
      color: var(--_second);
    }
    .counterfeit {
      grid-template-columns: minmax(0, 1.4fr) minmax(0, 1fr) minmax(0, 1fr);
      max-inline-size: 40rem;
    }
    /* Set on the pad's parent, not on the pad: there, var(--_focus) would be the pad's own
       --_focus, which reads these very properties, and the cycle made all three invalid (no
       focus ring on Clear, issue 24). */
    [part~='drawing'] {
      --genviz-drawing-pad-accent-color: var(--_accent);
      --genviz-drawing-pad-focus-ring-color: var(--_focus);
      --genviz-drawing-pad-radius: var(--_radius);
    }
    .meters {
      grid-template-columns: minmax(0, 1fr) minmax(0, 1fr);
      max-inline-size: 48rem;
    }
    [part~='meter'] {
      padding: 0.5rem;
      border-radius: var(--_radius);
      background: var(--_surface);
    }
    [part~='meter'] .strip {
      grid-template-columns: repeat(8, minmax(0, 1fr));
    }
    [part~='bars'] {
      aspect-ratio: 8 / 3;
      background: var(--_background);
    }
    meter {
      inline-size: 100%;
    }
    [part~='pairing'] {
      display: grid;
      gap: 0.25rem;
    }
    [part~='winner'] {
      margin: 0;
    }
    .matrices {
      display: grid;
      gap: var(--_gap);
      grid-template-columns: minmax(0, 1fr) minmax(0, 1fr);
      align-items: start;
      max-inline-size: 64rem;
    }
    [part~='matrix-run'] {
      display: grid;
      gap: 0.4rem;
      margin: 0;
      min-inline-size: 0;
    }
    [part~='matrix-grid'] {
      display: grid;
      grid-template-columns: auto repeat(var(--columns), minmax(0, 1fr));
      gap: 2px;
      align-items: center;
      font-size: 0.7em;
      font-variant-numeric: tabular-nums;
    }
    [part~='matrix-grid'] .head {
      color: var(--_muted);
      text-align: center;
      padding-inline-end: 0.2rem;
    }
    [part~='matrix-cell'] {
      aspect-ratio: 1;
      min-inline-size: 0;
      min-block-size: 0;
      padding: 0;
      border: 1px solid var(--_bar);
      border-radius: 2px;
      background: var(--_surface);
    }
    [part~='matrix-cell'][data-diagonal] {
      border: 2px dashed var(--_text);
    }
    [part~='matrix-cell'][aria-current='true'] {
      outline: 3px solid var(--_text);
      outline-offset: 1px;
    }
    [part~='matrix-cell']:focus-visible {
      outline: 3px solid var(--_focus);
      outline-offset: 1px;
    }
    [part~='matrix-readout'] {
      margin: 0;
      min-block-size: 3em;
    }
    [part~='entropy-chart'] {
      inline-size: 100%;
      max-inline-size: 40rem;
      aspect-ratio: 2 / 1;
    }
    @container duel (inline-size < 520px) {
      .matrices {
        grid-template-columns: minmax(0, 1fr);
      }
      .history,
      .meters {
        grid-template-columns: minmax(0, 1fr);
      }
      .counterfeit {
        grid-template-columns: minmax(0, 1fr) minmax(0, 1fr);
      }
      [part~='drawing'] {
        grid-column: 1 / -1;
        max-inline-size: 16rem;
      }
      [part~='grid'] {
        grid-template-columns: repeat(auto-fill, minmax(3.75rem, 1fr));
      }
      [part~='verdict'] {
        padding-inline: 0.2rem;
        font-size: 0.85em;
        letter-spacing: -0.01em;
      }
    }
  `,
];
