import { css } from 'lit';

export const latentPadStyles = css`
  :host {
    --_size: var(--genviz-latent-pad-size, 100%);
    --_background: var(--genviz-latent-pad-background, light-dark(#f4f4f7, #1d1d24));
    --_grid: var(--genviz-latent-pad-grid-color, light-dark(#d9d9e3, #34343f));
    --_handle: var(--genviz-latent-pad-handle-color, light-dark(#4f46e5, #a5b4fc));
    --_focus: var(--genviz-focus-ring-color, light-dark(#1d4ed8, #93c5fd));
    display: block;
    inline-size: var(--_size);
    aspect-ratio: 1;
    touch-action: none;
  }
  [part='surface'] {
    position: relative;
    inline-size: 100%;
    block-size: 100%;
    border-radius: 0.5rem;
    background-color: var(--_background);
    background-image:
      linear-gradient(var(--_grid) 1px, transparent 1px),
      linear-gradient(90deg, var(--_grid) 1px, transparent 1px);
    background-size: 25% 25%;
    background-position: center;
    cursor: crosshair;
  }
  [part='handle'] {
    position: absolute;
    inline-size: 1.25rem;
    block-size: 1.25rem;
    margin: -0.625rem 0 0 -0.625rem;
    border-radius: 50%;
    background: var(--_handle);
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
  [part~='axis']:focus-visible + [part~='axis'],
  [part~='axis']:focus-visible {
    outline: none;
  }
  .visually-hidden {
    position: absolute;
    inline-size: 1px;
    block-size: 1px;
    overflow: hidden;
    clip-path: inset(50%);
    white-space: nowrap;
  }
`;
