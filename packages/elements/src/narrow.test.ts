import { GenvizRuntime } from '@genviz/runtime';
import { html } from 'lit';
import { afterAll, afterEach, describe, expect, test, vi } from 'vitest';
import './define.js';
import type { GenvizGanDuel } from './gan-duel/gan-duel.js';
import { mount, part, parts, unmountAll } from './testing/dom.js';

// What a phone shows (issue 24): the site at 320 px gives each element 256 px. The layout
// checks of every story and of the built site find overflow and cut-off controls; these find
// what they cannot: text wrapped into a badge's neighbour, a slider's thumb over its read-out.

const runtime = new GenvizRuntime({ idleTimeoutMs: 120_000, device: 'wasm' });
afterAll(() => runtime.terminate());
afterEach(unmountAll);

const PHONE = 256;
/** The site's type (apps/site/src/site.css): the badges wrap in it, not in the browser's serif. */
const SITE_TYPE = 'font-family: system-ui, sans-serif; line-height: 1.6';

/** The line boxes of an element's text. */
function lines(element: Element): number {
  const range = document.createRange();
  range.selectNodeContents(element);
  return new Set([...range.getClientRects()].map((rect) => Math.round(rect.top))).size;
}

describe('at 320 px', () => {
  test("the duel's verdict badges keep their text on one line, below the digit", async () => {
    const element = await mount<GenvizGanDuel>(
      html`<genviz-gan-duel .runtime=${runtime} seed="1" style=${SITE_TYPE}></genviz-gan-duel>`,
      'genviz-gan-duel',
      PHONE,
    );
    await vi.waitFor(() => expect(parts(element, 'verdict')).toHaveLength(16), {
      timeout: 90_000,
    });
    for (const badge of parts(element, 'verdict')) {
      expect(lines(badge), `"${badge.textContent}" wraps`).toBe(1);
      const image = badge.parentElement!.querySelector('canvas')!.getBoundingClientRect();
      const box = badge.getBoundingClientRect();
      expect(box.top, `"${badge.textContent}" over the digit`).toBeGreaterThanOrEqual(image.bottom);
      const cell = badge.parentElement!.getBoundingClientRect();
      expect(box.right, `"${badge.textContent}" out of its cell`).toBeLessThanOrEqual(cell.right);
    }
  });

  test('the collapse view’s snapshot slider keeps clear of its "epoch" read-out', async () => {
    const element = await mount<GenvizGanDuel>(
      html`<genviz-gan-duel
        .runtime=${runtime}
        mode="collapse"
        run="collapsed"
        style=${SITE_TYPE}
      ></genviz-gan-duel>`,
      'genviz-gan-duel',
      PHONE,
    );
    await vi.waitFor(() => expect(part(element, 'scrubber')).not.toBeNull(), { timeout: 90_000 });
    await element.updateComplete;
    const slider = part(element, 'scrubber')!;
    const readout = slider.parentElement!.querySelector('output')!;
    expect(readout.textContent).toMatch(/epoch \d+/);
    const a = slider.getBoundingClientRect();
    const b = readout.getBoundingClientRect();
    // Apart: side by side with a gap, or on rows of their own.
    const apart = a.right + 4 <= b.left || a.top >= b.bottom || b.top >= a.bottom;
    expect(apart, `slider ${a.left}-${a.right}, read-out ${b.left}-${b.right}`).toBe(true);
    expect(a.width).toBeGreaterThanOrEqual(150);
  });
});
