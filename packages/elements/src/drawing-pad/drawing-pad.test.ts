import { GenvizRuntime } from '@genviz/runtime';
import { html } from 'lit';
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { digitImage } from '../kit/digits.js';
import { mount, part, unmountAll } from '../testing/dom.js';
import { traceDigit } from '../testing/strokes.js';
import './define.js';
import type { GenvizDrawingPad } from './drawing-pad.js';

const runtime = new GenvizRuntime({ idleTimeoutMs: 60_000, device: 'wasm' });
afterAll(() => runtime.terminate());
afterEach(unmountAll);

describe('<genviz-drawing-pad>', () => {
  test('a traced held-out digit comes out MNIST-style, and the classifier reads it', async () => {
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
      traceDigit(part(pad, 'surface')!, real.image);
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
    pad.clear();
    expect(pad.empty).toBe(true);
  });
});
