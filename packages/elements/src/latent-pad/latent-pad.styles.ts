import { css } from 'lit';
import { tokenLayer } from '../kit/styles.js';

export const latentPadStyles = [
  tokenLayer(
    'latent-pad',
    { 'grid-color': 'bar-color', 'handle-color': 'accent-color' },
    // The pad is a surface on the page: its background defaults to the surface token.
    { background: 'surface' },
  ),
  css`
    :host {
      --_size: var(--genviz-latent-pad-size, 100%);
      display: block;
      inline-size: var(--_size);
      aspect-ratio: 1;
      touch-action: none;
    }
    [part='surface'] {
      position: relative;
      inline-size: 100%;
      block-size: 100%;
      border-radius: var(--_radius);
      background-color: var(--_background);
      background-image:
        linear-gradient(var(--_grid-color) 1px, transparent 1px),
        linear-gradient(90deg, var(--_grid-color) 1px, transparent 1px);
      background-size: 25% 25%;
      background-position: center;
      cursor: crosshair;
    }
    [part~='points'] {
      position: absolute;
      inset: 0;
      inline-size: 100%;
      block-size: 100%;
      pointer-events: none;
      color: var(--genviz-latent-pad-mark-color, var(--_text));
    }
    [part='handle'] {
      position: absolute;
      inline-size: 1.25rem;
      block-size: 1.25rem;
      margin: -0.625rem 0 0 -0.625rem;
      border-radius: 50%;
      background: var(--_handle-color);
      box-shadow: 0 0 0 2px var(--_background);
      pointer-events: none;
    }
    [part~='axis'] {
      position: absolute;
      inset: 0;
      outline: none;
    }
    :host(:focus-within) [part='handle'] {
      box-shadow:
        0 0 0 2px var(--_background),
        0 0 0 4px var(--_focus);
    }
    /* Both axes cover the pad: the focused one draws the ring around it (with the handle's). */
    [part~='axis']:focus-visible {
      outline: 2px solid var(--_focus);
      outline-offset: 2px;
      border-radius: var(--_radius);
    }
    .visually-hidden {
      position: absolute;
      inline-size: 1px;
      block-size: 1px;
      overflow: hidden;
      clip-path: inset(50%);
      white-space: nowrap;
    }
  `,
];
