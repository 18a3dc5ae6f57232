import { css, unsafeCSS } from 'lit';
import type { CSSResult } from 'lit';

/**
 * The two-level token layer. Page-wide tokens (`--genviz-accent-color`, ...) theme every genviz
 * element at once; each element's own tokens (`--genviz-diffusion-stepper-accent-color`, ...)
 * override them for that element. Defaults use light-dark(), so elements follow the page's
 * `color-scheme`. Elements read the resolved values through private `--_*` properties.
 */
export const PAGE_TOKENS = {
  background: 'light-dark(#ffffff, #16161d)',
  surface: 'light-dark(#f4f4f7, #1f1f28)',
  'text-color': 'light-dark(#1b1b22, #ececf1)',
  'muted-color': 'light-dark(#5b5b6b, #a3a3b3)',
  'accent-color': 'light-dark(#4f46e5, #a5b4fc)',
  'second-color': 'light-dark(#c2410c, #fdba74)',
  'bar-color': 'light-dark(#a5a5b8, #5d5d70)',
  'error-color': 'light-dark(#b91c1c, #fca5a5)',
  'focus-ring-color': 'light-dark(#1d4ed8, #93c5fd)',
  radius: '0.5rem',
  gap: '0.75rem',
} as const;

export type PageToken = keyof typeof PAGE_TOKENS;

/** The private property each page token resolves into, as the kit's styles read them. */
const PRIVATE_NAMES: Readonly<Record<PageToken, string>> = {
  background: 'background',
  surface: 'surface',
  'text-color': 'text',
  'muted-color': 'muted',
  'accent-color': 'accent',
  'second-color': 'second',
  'bar-color': 'bar',
  'error-color': 'error',
  'focus-ring-color': 'focus',
  radius: 'radius',
  gap: 'gap',
};

/**
 * `:host` rules resolving an element's tokens: for each page token, `--_<name>` is the
 * element's `--genviz-<element>-<token>`, else the page's `--genviz-<token>`, else the default.
 * `extra` adds element-only tokens: `{ 'handle-color': 'accent-color' }` defines
 * `--_handle-color` from `--genviz-<element>-handle-color`, defaulting to the accent.
 * `defaultsTo` makes one of the element's page tokens default to another resolved token instead:
 * `{ background: 'surface' }` (the latent pad, a surface on the page) reads
 * `--genviz-<element>-background`, else the element's surface.
 */
export function tokenLayer(
  element: string,
  extra: Readonly<Record<string, PageToken>> = {},
  defaultsTo: Readonly<Partial<Record<PageToken, PageToken>>> = {},
): CSSResult {
  const lines = (Object.keys(PAGE_TOKENS) as PageToken[]).map((token) => {
    const other = defaultsTo[token];
    const fallback =
      other === undefined
        ? `var(--genviz-${token}, ${PAGE_TOKENS[token]})`
        : `var(--_${PRIVATE_NAMES[other]})`;
    return `--_${PRIVATE_NAMES[token]}: var(--genviz-${element}-${token}, ${fallback});`;
  });
  for (const [name, token] of Object.entries(extra)) {
    lines.push(`--_${name}: var(--genviz-${element}-${name}, var(--_${PRIVATE_NAMES[token]}));`);
  }
  return unsafeCSS(`:host {\n  ${lines.join('\n  ')}\n}`);
}

/**
 * What every element shares: the host box, controls (buttons, fields, sliders), the focus
 * ring, the states' styles (message, error, progress, device line), and reduced motion.
 */
export const kitStyles = css`
  :host {
    /* No color-scheme of our own: it inherits the page's, so light-dark() follows its theme. */
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
  [part~='base'] {
    display: grid;
    gap: var(--_gap);
    padding: var(--_gap);
    border-radius: var(--_radius);
    background: var(--_background);
    outline: none;
  }
  [part~='base']:focus-visible,
  button:focus-visible,
  input:focus-visible,
  select:focus-visible,
  [tabindex]:focus-visible {
    outline: 2px solid var(--_focus);
    outline-offset: 2px;
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
  button.primary {
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
  .choice,
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
  .slider-row {
    display: grid;
    grid-template-columns: auto minmax(0, 1fr) auto;
    gap: 0.5rem;
    align-items: center;
  }
  /* Narrow (each element's base is an inline-size container): a slider with a label and a
     read-out on both sides gets too short to use, and the thumb runs into the read-out; the
     slider takes a row of its own under them. */
  @container (inline-size < 360px) {
    .slider-row:has(> output) {
      grid-template-columns: minmax(0, 1fr) auto;
    }
    .slider-row:has(> output) > input[type='range'] {
      grid-column: 1 / -1;
      grid-row: 2;
    }
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
  canvas.pixels {
    aspect-ratio: 1;
    image-rendering: pixelated;
    background: #000;
  }
  .visually-hidden {
    position: absolute;
    inline-size: 1px;
    block-size: 1px;
    overflow: hidden;
    clip-path: inset(50%);
    white-space: nowrap;
  }
  @media (prefers-reduced-motion: reduce) {
    * {
      transition: none !important;
      animation: none !important;
    }
  }
`;
