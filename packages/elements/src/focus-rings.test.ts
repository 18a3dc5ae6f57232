import { GenvizRuntime } from '@genviz/runtime';
import { html } from 'lit';
import { afterAll, afterEach, describe, expect, test, vi } from 'vitest';
import { userEvent } from 'vitest/browser';
import './define.js';
import type { GenvizDrawingPad } from './drawing-pad/drawing-pad.js';
import type { GenvizLatentExplorer } from './latent-explorer/latent-explorer.js';
import type { GenvizLatentPad } from './latent-pad/latent-pad.js';
import { mount, part, unmountAll } from './testing/dom.js';

// Visible focus (issue 24): every control reached with Tab shows a focus ring of its own.

const runtime = new GenvizRuntime({ idleTimeoutMs: 120_000, device: 'wasm' });
afterAll(() => runtime.terminate());
afterEach(unmountAll);

/** The focused element, through every open shadow root. */
function deepActive(): Element | null {
  let active = document.activeElement;
  while (active?.shadowRoot?.activeElement) active = active.shadowRoot.activeElement;
  return active;
}

/** Presses Tab until the focused element carries part `name` (at most `limit` presses). */
async function tabTo(name: string, limit = 40): Promise<HTMLElement> {
  for (let i = 0; i < limit; i++) {
    await userEvent.tab();
    const active = deepActive();
    if (active?.getAttribute('part')?.split(' ').includes(name)) return active as HTMLElement;
  }
  throw new Error(`Tab never reached part "${name}"`);
}

function expectRing(element: HTMLElement) {
  const style = getComputedStyle(element);
  const what = `<${element.localName} part="${element.getAttribute('part')}">`;
  expect(style.outlineStyle, `${what} outline style`).not.toBe('none');
  expect(parseFloat(style.outlineWidth), `${what} outline width`).toBeGreaterThanOrEqual(2);
}

describe('focus rings', () => {
  test("the latent pad's two axis sliders", async () => {
    await mount<GenvizLatentPad>(
      html`<genviz-latent-pad></genviz-latent-pad>`,
      'genviz-latent-pad',
      240,
    );
    expectRing(await tabTo('axis-x'));
    expectRing(await tabTo('axis-y'));
  });

  test("the drawing pad's Clear button", async () => {
    await mount<GenvizDrawingPad>(
      html`<genviz-drawing-pad></genviz-drawing-pad>`,
      'genviz-drawing-pad',
      240,
    );
    expectRing(await tabTo('clear-button'));
  });

  test('the Clear buttons of the drawing pads inside the explorer and the duel', async () => {
    const explorer = await mount<GenvizLatentExplorer>(
      html`<genviz-latent-explorer .runtime=${runtime} view="draw"></genviz-latent-explorer>`,
      'genviz-latent-explorer',
      480,
    );
    await vi.waitFor(() => expect(part(explorer, 'drawing')).not.toBeNull(), { timeout: 60_000 });
    expectRing(await tabTo('clear-button'));
    unmountAll();
    const duel = await mount<HTMLElement & { updateComplete: Promise<boolean> }>(
      html`<genviz-gan-duel .runtime=${runtime} mode="counterfeiter"></genviz-gan-duel>`,
      'genviz-gan-duel',
      480,
    );
    await vi.waitFor(() => expect(part(duel, 'drawing')).not.toBeNull(), { timeout: 60_000 });
    expectRing(await tabTo('clear-button'));
  });

  for (const view of ['map', 'flow'] as const) {
    test(`the explorer's latent pad in the ${view} view`, async () => {
      const element = await mount<GenvizLatentExplorer>(
        html`<genviz-latent-explorer .runtime=${runtime} view=${view}></genviz-latent-explorer>`,
        'genviz-latent-explorer',
        480,
      );
      await vi.waitFor(() => expect(part(element, 'pad')).not.toBeNull(), { timeout: 60_000 });
      expectRing(await tabTo('axis-x'));
      expectRing(await tabTo('axis-y'));
    });
  }
});
