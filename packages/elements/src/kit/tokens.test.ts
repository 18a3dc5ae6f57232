/// <reference types="vite/client" />
import { describe, expect, test } from 'vitest';
import type { CSSResultGroup, CSSResultOrNative } from 'lit';
import { GenvizDiffusionStepper } from '../diffusion-stepper/diffusion-stepper.js';
import diffusionStepperSource from '../diffusion-stepper/diffusion-stepper.ts?raw';
import { GenvizDrawingPad } from '../drawing-pad/drawing-pad.js';
import drawingPadSource from '../drawing-pad/drawing-pad.ts?raw';
import { GenvizGanDuel } from '../gan-duel/gan-duel.js';
import ganDuelSource from '../gan-duel/gan-duel.ts?raw';
import { GenvizLatentExplorer } from '../latent-explorer/latent-explorer.js';
import latentExplorerSource from '../latent-explorer/latent-explorer.ts?raw';
import { GenvizLatentPad } from '../latent-pad/latent-pad.js';
import latentPadSource from '../latent-pad/latent-pad.ts?raw';

/**
 * Every `--genviz-*` custom property an element's styles read is documented on its class
 * (`@cssproperty`, which the custom-elements manifest and Storybook show), and every documented
 * one is read: a token added to the styles without docs, or docs left behind, fails here.
 */

/** The class colours are read by script (kit/classes.ts), for the canvas, not by the styles. */
const CLASS_TOKENS = Array.from({ length: 10 }, (_, k) => `--genviz-class-${k}-color`);

const ELEMENTS = [
  {
    name: 'genviz-latent-explorer',
    element: GenvizLatentExplorer,
    source: latentExplorerSource,
    scriptTokens: CLASS_TOKENS,
  },
  { name: 'genviz-gan-duel', element: GenvizGanDuel, source: ganDuelSource },
  {
    name: 'genviz-diffusion-stepper',
    element: GenvizDiffusionStepper,
    source: diffusionStepperSource,
  },
  {
    name: 'genviz-drawing-pad',
    element: GenvizDrawingPad,
    source: drawingPadSource,
    // Read by script: the canvas stroke's width.
    scriptTokens: ['--genviz-drawing-pad-stroke-width'],
  },
  {
    name: 'genviz-latent-pad',
    element: GenvizLatentPad,
    source: latentPadSource,
    scriptTokens: CLASS_TOKENS,
  },
];

function flatStyles(styles: CSSResultGroup | undefined): CSSResultOrNative[] {
  if (styles === undefined) return [];
  return Array.isArray(styles)
    ? (styles as CSSResultGroup[]).flatMap((inner) => flatStyles(inner))
    : [styles as CSSResultOrNative];
}

function cssText(style: CSSResultOrNative): string {
  return 'cssText' in style
    ? style.cssText
    : Array.from(style.cssRules, (rule) => rule.cssText).join('\n');
}

/**
 * The tokens the styles read. The kit's token layer declares a private `--_<name>` for every
 * page token (`--_accent: var(--genviz-<element>-accent-color, var(--genviz-accent-color, ...))`);
 * such a token counts only when its private property is used. Other `var(--genviz-...)` reads
 * count as they are; tokens the styles set for a sub-element (`--genviz-latent-pad-...: ...`)
 * are not reads.
 */
function tokensRead(styles: CSSResultGroup | undefined): Set<string> {
  const text = flatStyles(styles).map(cssText).join('\n');
  const declaration = /--_([a-z0-9-]+):\s*var\(\s*(--genviz-[a-z0-9-]+)[^;]*;/g;
  const read = new Set<string>();
  for (const [whole, name, token] of text.matchAll(declaration)) {
    const elsewhere = text.replace(whole, '');
    if (new RegExp(`var\\(\\s*--_${name}[,)\\s]`).test(elsewhere)) read.add(token!);
  }
  for (const match of text.replace(declaration, '').matchAll(/var\(\s*(--genviz-[a-z0-9-]+)/g))
    read.add(match[1]!);
  return read;
}

/** `@cssproperty [--name=default] - ...` lines; "class-0 ... (to `--genviz-class-9-color`)" spans 0-9. */
function tokensDocumented(source: string): Set<string> {
  const documented = new Set<string>();
  for (const match of source.matchAll(/@cssprop(?:erty)?\s+\[?(--genviz-[a-z0-9-]+)[^\n]*/g)) {
    const [line, name] = [match[0], match[1]!];
    const range = /class-0-color/.test(name) && /class-9-color/.test(line.slice(name.length));
    if (range) for (let c = 0; c < 10; c++) documented.add(name.replace('class-0', `class-${c}`));
    else documented.add(name);
  }
  return documented;
}

describe('documented custom properties', () => {
  for (const { name, element, source, scriptTokens = [] } of ELEMENTS) {
    test(`${name} documents exactly the tokens its styles read`, () => {
      const read = [...tokensRead(element.styles), ...scriptTokens].sort();
      const documented = [...tokensDocumented(source)].sort();
      expect(read.length).toBeGreaterThan(0);
      expect({ undocumented: read.filter((t) => !documented.includes(t)) }).toEqual({
        undocumented: [],
      });
      expect({ unread: documented.filter((t) => !read.includes(t)) }).toEqual({ unread: [] });
    });
  }
});
