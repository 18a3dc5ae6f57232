import { css } from 'lit';
import { kitStyles, tokenLayer } from '../kit/styles.js';

export const drawingPadStyles = [
  tokenLayer('drawing-pad'),
  kitStyles,
  css`
    :host {
      display: grid;
      gap: 0.4rem;
      inline-size: var(--genviz-drawing-pad-size, 100%);
      justify-items: start;
    }
    [part~='surface'] {
      inline-size: 100%;
      aspect-ratio: 1;
      background: #000;
      border-radius: var(--_radius);
      cursor: crosshair;
      touch-action: none;
    }
  `,
];
