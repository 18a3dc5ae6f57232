import { GenvizRuntime } from '@genviz/runtime';
import { html } from 'lit';
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { userEvent } from 'vitest/browser';
import { digitImage } from '../kit/digits.js';
import { mount, part, unmountAll } from '../testing/dom.js';
import { drag, traceDigit } from '../testing/strokes.js';
import './define.js';
import type { GenvizDrawingPad } from './drawing-pad.js';

const runtime = new GenvizRuntime({ idleTimeoutMs: 60_000, device: 'wasm' });
afterAll(() => runtime.terminate());
afterEach(unmountAll);

describe('<genviz-drawing-pad>', () => {
  test('a held-out digit traced with the mouse comes out MNIST-style, and the classifier reads it', async () => {
    const pad = await mount<GenvizDrawingPad>(
      html`<genviz-drawing-pad></genviz-drawing-pad>`,
      'genviz-drawing-pad',
      280,
    );
    expect(pad.empty).toBe(true);
    expect(pad.value.every((value) => value === 0)).toBe(true);
    const digits = await runtime.data.heldOutDigits();
    let changes = 0;
    pad.addEventListener('change', () => (changes += 1));
    // Held-out digits of four classes, each traced and read back.
    for (const label of [0, 3, 7, 1]) {
      const real = digitImage(digits, digits.labels.indexOf(label), 'unit');
      pad.clear();
      // The browser's own mouse: trusted pointer events whose moves carry coalesced events.
      await traceDigit(part(pad, 'surface')!, real.image);
      const value = pad.value;
      expect(pad.empty).toBe(false);
      // Centred by mass, inside the 28x28 frame, with a blank border like MNIST's.
      let mass = 0;
      let cx = 0;
      for (let i = 0; i < 784; i++) {
        mass += value[i]!;
        cx += value[i]! * (i % 28);
      }
      expect(Math.abs(cx / mass - 13.5)).toBeLessThan(1);
      expect(value.subarray(0, 28).every((v) => v === 0)).toBe(true);
      const [reading] = await runtime.classifier.read(value);
      expect(reading!.digit, `a traced ${label}`).toBe(label);
    }
    expect(changes).toBeGreaterThan(4);
    await userEvent.click(part(pad, 'clear-button')!);
    expect(pad.empty).toBe(true);
    expect(pad.value.every((value) => value === 0)).toBe(true);
  });

  test('a drag with the mouse draws a line and fires input, then change', async () => {
    const pad = await mount<GenvizDrawingPad>(
      html`<genviz-drawing-pad></genviz-drawing-pad>`,
      'genviz-drawing-pad',
      280,
    );
    const events: string[] = [];
    pad.addEventListener('input', () => events.push('input'));
    pad.addEventListener('change', () => events.push('change'));
    const inputs = new Promise((resolve) => pad.addEventListener('input', resolve, { once: true }));
    // A vertical stroke down the middle: a 1.
    await drag(
      part(pad, 'surface')!,
      Array.from({ length: 12 }, (_, i) => [0.5, 0.2 + i * 0.05] as const),
    );
    await inputs;
    expect(events.at(-1)).toBe('change');
    expect(events).toContain('input');
    const value = pad.value;
    // Ink from top to bottom of the 20-pixel box, in the middle columns only.
    const rows = Array.from({ length: 28 }, (_, y) => value.subarray(y * 28, y * 28 + 28));
    expect(rows.filter((row) => row.some((v) => v > 0.5)).length).toBeGreaterThanOrEqual(18);
    expect(rows.every((row) => row.subarray(0, 8).every((v) => v === 0))).toBe(true);
    const [reading] = await runtime.classifier.read(value);
    expect(reading!.digit).toBe(1);
  });
});
