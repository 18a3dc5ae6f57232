import { css } from 'lit';

export const diffusionStepperStyles = css`
  :host {
    --_background: var(--genviz-diffusion-stepper-background, light-dark(#ffffff, #16161d));
    --_surface: var(--genviz-diffusion-stepper-surface, light-dark(#f4f4f7, #1f1f28));
    --_text: var(--genviz-diffusion-stepper-text-color, light-dark(#1b1b22, #ececf1));
    --_muted: var(--genviz-diffusion-stepper-muted-color, light-dark(#5b5b6b, #a3a3b3));
    --_accent: var(--genviz-diffusion-stepper-accent-color, light-dark(#4f46e5, #a5b4fc));
    --_second: var(--genviz-diffusion-stepper-second-color, light-dark(#c2410c, #fdba74));
    --_bar: var(--genviz-diffusion-stepper-bar-color, light-dark(#a5a5b8, #5d5d70));
    --_error: var(--genviz-diffusion-stepper-error-color, light-dark(#b91c1c, #fca5a5));
    --_radius: var(--genviz-diffusion-stepper-radius, 0.5rem);
    --_gap: var(--genviz-diffusion-stepper-gap, 0.75rem);
    --_focus: var(--genviz-focus-ring-color, light-dark(#1d4ed8, #93c5fd));
    /* No color-scheme of our own: it inherits the page's, so light-dark() follows the page's theme. */
    display: block;
    min-inline-size: 0;
    color: var(--_text);
    font: inherit;
  }
  :host([hidden]) {
    display: none;
  }
  * {
    box-sizing: border-box;
  }
  [part='base'] {
    container: stepper / inline-size;
    display: grid;
    gap: var(--_gap);
    padding: var(--_gap);
    border-radius: var(--_radius);
    background: var(--_background);
    outline: none;
  }
  [part='base']:focus-visible,
  button:focus-visible,
  input:focus-visible,
  select:focus-visible {
    outline: 2px solid var(--_focus);
    outline-offset: 2px;
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
  p {
    margin: 0;
  }
  button {
    font: inherit;
    padding: 0.35rem 0.75rem;
    border: 1px solid var(--_accent);
    border-radius: calc(var(--_radius) * 0.75);
    background: var(--_surface);
    color: var(--_text);
    cursor: pointer;
    transition: background-color 120ms ease;
  }
  button[aria-pressed='true'],
  [part~='play-button'],
  [part~='race-button'] {
    background: var(--_accent);
    color: var(--_background);
  }
  button:disabled {
    opacity: 0.5;
    cursor: default;
  }
  select,
  input[type='number'] {
    font: inherit;
    padding: 0.25rem 0.4rem;
    border: 1px solid var(--_bar);
    border-radius: calc(var(--_radius) * 0.5);
    background: var(--_surface);
    color: var(--_text);
    max-inline-size: 9rem;
  }
  input[type='range'] {
    accent-color: var(--_accent);
    inline-size: 100%;
    min-inline-size: 6rem;
  }
  [part~='modes'],
  [part~='milestones'],
  .buttons {
    display: flex;
    flex-wrap: wrap;
    gap: 0.4rem;
  }
  [part~='controls'] {
    display: flex;
    flex-wrap: wrap;
    gap: 0.5rem 1rem;
    align-items: end;
  }
  [part~='controls'] label {
    display: grid;
    gap: 0.15rem;
    font-size: 0.9em;
  }
  .guidance-field {
    grid-template-columns: 1fr auto;
    min-inline-size: 10rem;
  }
  .guidance-field span {
    grid-column: 1 / -1;
  }
  .slider-row {
    display: grid;
    grid-template-columns: auto 1fr auto;
    gap: 0.5rem;
    align-items: center;
  }
  [part~='message'],
  [part~='error'] {
    margin: 0;
    padding: 0.5rem 0.75rem;
    border-radius: var(--_radius);
    border: 1px solid var(--_error);
    color: var(--_error);
  }
  [part~='message'] {
    padding-inline-start: 1.5rem;
  }
  [part~='error'] {
    display: flex;
    flex-wrap: wrap;
    gap: 0.5rem;
    align-items: center;
    justify-content: space-between;
  }
  [part~='progress'] {
    inline-size: 100%;
    accent-color: var(--_accent);
  }
  [part~='device'],
  .hint,
  figcaption {
    color: var(--_muted);
    font-size: 0.85em;
  }
  [part~='device'].fallback::before {
    content: '⚠ ';
  }
  figure {
    margin: 0;
    display: grid;
    gap: 0.25rem;
    align-content: start;
    min-inline-size: 0;
  }
  canvas {
    display: block;
    inline-size: 100%;
    border-radius: calc(var(--_radius) * 0.5);
    background: var(--_surface);
    /* The palette drawn on the canvases (see draw.ts). */
    color: var(--_text);
    caret-color: var(--_accent);
    column-rule-color: var(--_second);
    text-decoration-color: var(--_bar);
  }
  canvas[width='28'] {
    aspect-ratio: 1;
    image-rendering: pixelated;
    background: #000;
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
    grid-template-columns: repeat(3, minmax(0, 1fr));
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
  .file input {
    font: inherit;
    max-inline-size: 100%;
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
  .visually-hidden {
    position: absolute;
    inline-size: 1px;
    block-size: 1px;
    overflow: hidden;
    clip-path: inset(50%);
    white-space: nowrap;
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
      grid-template-columns: 1fr 1fr;
    }
    .guidance-field {
      grid-column: 1 / -1;
    }
  }

  @media (prefers-reduced-motion: reduce) {
    * {
      transition: none !important;
      animation: none !important;
    }
  }
`;
