import { css } from 'lit';
import { kitStyles, tokenLayer } from '../kit/styles.js';

export const latentExplorerStyles = [
  tokenLayer('latent-explorer'),
  kitStyles,
  css`
    [part~='base'] {
      container: explorer / inline-size;
    }
    .explorer {
      display: grid;
      grid-template-columns: minmax(0, 1fr) minmax(0, 1fr);
      gap: var(--_gap);
      align-items: start;
    }
    .map,
    .side,
    .interpolate,
    .sample,
    [part~='blur'] {
      display: grid;
      gap: var(--_gap);
      min-inline-size: 0;
    }
    [part~='pad'] {
      --genviz-latent-pad-handle-color: var(--_accent);
      --genviz-latent-pad-background: var(--_surface);
      --genviz-latent-pad-mark-color: var(--_text);
    }
    [part~='legend'] {
      display: flex;
      flex-wrap: wrap;
      gap: 0.25rem 0.6rem;
      margin: 0;
      padding: 0;
      list-style: none;
      font-size: 0.85em;
      color: var(--_muted);
    }
    .swatch {
      display: inline-block;
      inline-size: 0.7em;
      block-size: 0.7em;
      margin-inline-end: 0.25em;
      border-radius: 50%;
      background: var(--k);
    }
    .figures,
    .draw {
      display: grid;
      grid-template-columns: repeat(2, minmax(0, 12rem));
      gap: var(--_gap);
    }
    .grid-frame {
      position: relative;
    }
    [part~='grid'] {
      cursor: pointer;
    }
    [part~='grid-cell'] {
      position: absolute;
      outline: 2px solid var(--_accent);
      pointer-events: none;
    }
    canvas.strip {
      image-rendering: pixelated;
      background: #000;
    }
    @container explorer (inline-size < 560px) {
      .explorer {
        grid-template-columns: minmax(0, 1fr);
      }
    }
    @container explorer (inline-size < 360px) {
      .figures,
      .draw {
        grid-template-columns: repeat(2, minmax(0, 1fr));
      }
    }
  `,
];
