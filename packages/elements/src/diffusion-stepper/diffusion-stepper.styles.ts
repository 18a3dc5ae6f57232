import { css } from 'lit';
import { kitStyles, tokenLayer } from '../kit/styles.js';

export const diffusionStepperStyles = [
  tokenLayer('diffusion-stepper'),
  kitStyles,
  css`
    [part='base'] {
      container: stepper / inline-size;
    }
    section {
      display: grid;
      gap: var(--_gap);
      min-inline-size: 0;
    }
    h3 {
      margin: 0;
      font-size: 0.95em;
    }
    [part~='play-button'],
    [part~='race-button'] {
      background: var(--_accent);
      color: var(--_background);
    }
    [part~='milestones'] {
      display: flex;
      flex-wrap: wrap;
      gap: 0.4rem;
    }
    .guidance-field {
      grid-template-columns: minmax(0, 1fr) auto;
      min-inline-size: min(10rem, 100%);
    }
    .guidance-field span {
      grid-column: 1 / -1;
    }
    [part~='histogram'] {
      aspect-ratio: 2;
    }
    [part~='schedule'] {
      aspect-ratio: 32 / 15;
    }
    .figures {
      display: grid;
      gap: var(--_gap);
      grid-template-columns: minmax(0, 1fr) minmax(0, 1.5fr) minmax(0, 1.8fr);
      align-items: start;
    }
    .panels {
      display: grid;
      gap: var(--_gap);
      grid-template-columns: repeat(3, minmax(0, 1fr));
    }
    .latent-channels {
      display: grid;
      grid-template-columns: repeat(2, minmax(0, 1fr));
      gap: 2px;
    }
    .panels.four {
      grid-template-columns: repeat(4, minmax(0, 1fr));
    }
    .panels,
    .lanes {
      max-inline-size: 48rem;
    }
    [part~='reverse'] .schedule {
      max-inline-size: 28rem;
    }
    .lanes {
      display: grid;
      gap: var(--_gap);
      grid-template-columns: repeat(auto-fit, minmax(9rem, 1fr));
    }
    .lanes figcaption,
    [part~='counter'] {
      display: flex;
      flex-wrap: wrap;
      gap: 0.15rem 0.75rem;
    }
    .lanes figcaption span {
      inline-size: 100%;
    }
    [part~='lane'][data-status='running'] canvas {
      outline: 2px solid var(--_accent);
    }
    [part~='readout'] {
      display: flex;
      flex-wrap: wrap;
      gap: 0.25rem 1rem;
    }
    [part~='source'] {
      display: flex;
      flex-wrap: wrap;
      gap: 0.5rem;
      align-items: center;
      padding: 0.5rem;
      border: 1px dashed var(--_bar);
      border-radius: var(--_radius);
      font-size: 0.9em;
    }
    [part~='source'] > * {
      min-inline-size: 0;
      max-inline-size: 100%;
    }
    .file {
      display: grid;
      gap: 0.15rem;
    }
    .file input {
      font: inherit;
      inline-size: 100%;
      min-inline-size: 0;
    }
    .schedule figcaption {
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
    @container stepper (inline-size < 560px) {
      .figures {
        grid-template-columns: minmax(0, 1fr) minmax(0, 1.5fr);
      }
      .figures .schedule {
        grid-column: 1 / -1;
      }
      .panels.four {
        grid-template-columns: repeat(2, minmax(0, 1fr));
      }
    }
    @container stepper (inline-size < 400px) {
      .figures,
      .lanes {
        grid-template-columns: minmax(0, 1fr);
      }
      .figures figure:first-child,
      .lanes figure {
        max-inline-size: 12rem;
      }
      .lanes canvas {
        max-inline-size: 8rem;
      }
      [part~='controls'] {
        display: grid;
        /* minmax(0, ...): a field's intrinsic width must not widen the column past the box. */
        grid-template-columns: repeat(2, minmax(0, 1fr));
      }
      [part~='controls'] label {
        min-inline-size: 0;
      }
      [part~='controls'] select,
      [part~='controls'] input[type='number'] {
        inline-size: 100%;
        max-inline-size: none;
        min-inline-size: 0;
      }
      .guidance-field {
        grid-column: 1 / -1;
      }
    }
  `,
];
