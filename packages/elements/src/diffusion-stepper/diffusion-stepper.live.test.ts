import { GenvizRuntime } from '@genviz/runtime';
import { html } from 'lit';
import type { TemplateResult } from 'lit';
import { afterAll, afterEach, describe, expect, test, vi } from 'vitest';
import { userEvent } from 'vitest/browser';
import './define.js';
import type { GenvizDiffusionStepper } from './diffusion-stepper.js';
import type { GenvizCompleteEvent } from './events.js';
import { mount as mountElement, part, parts, pixels, unmountAll } from '../testing/dom.js';

// The live view and the steps-against-quality strip, against the real distilled model
// (mnist-lcm, decoded by mnist-autoencoder) in the runtime's worker, on WASM.

const runtime = new GenvizRuntime({ idleTimeoutMs: 120_000, device: 'wasm' });
afterAll(() => runtime.terminate());
afterEach(() => unmountAll());

const mount = (template: TemplateResult) =>
  mountElement<GenvizDiffusionStepper>(template, 'genviz-diffusion-stepper', 640);

/** The digit the element's settings give, sampled directly (what the live canvas must show). */
async function expected(element: GenvizDiffusionStepper): Promise<Float32Array> {
  const result = await runtime.diffusion.sample({
    model: 'mnist-lcm',
    scheduler: 'lcm',
    steps: 4,
    seed: element.seed,
    noiseSeed: element.noiseSeed,
    classLabel: element.digit,
    guidanceScale: element.guidance,
    every: 0,
  });
  return result.image!.map((value) => value * 2 - 1);
}

describe('<genviz-diffusion-stepper> live', () => {
  test('redraws at every input without Play; a newer input drops the run in flight; the last input is what is painted', async () => {
    const element = await mount(
      html`<genviz-diffusion-stepper
        .runtime=${runtime}
        mode="live"
        digit="3"
        seed="4"
        guidance="3"
      ></genviz-diffusion-stepper>`,
    );
    const slider = part(element, 'live-guidance') as HTMLInputElement;
    expect(slider.min).toBe('1');
    expect(slider.max).toBe('8');
    // Keys while the model is still loading for the first digit: each is an input event that
    // overtakes the run before it.
    slider.focus();
    await userEvent.keyboard('{ArrowRight}{ArrowRight}{ArrowRight}{ArrowRight}{ArrowRight}');
    expect(element.guidance).toBeCloseTo(3.5, 5);
    await vi.waitFor(
      () => {
        const { runs, dropped, drawn } = element.liveStats;
        expect(element.running).toBe(false);
        expect(drawn + dropped).toBe(runs);
        expect(drawn).toBeGreaterThanOrEqual(1);
      },
      { timeout: 60_000 },
    );
    const stats = element.liveStats;
    expect(stats.runs).toBe(6);
    expect(stats.dropped).toBeGreaterThanOrEqual(1);
    expect(stats.latenciesMs).toHaveLength(stats.drawn);
    // What is painted is the last input's digit, not a queued older one.
    await element.updateComplete;
    const painted = pixels(part(element, 'live-canvas') as HTMLCanvasElement);
    const reference = await expected(element);
    const referenceGrey = Array.from(reference, (value) =>
      Math.round(Math.min(1, Math.max(0, (value + 1) / 2)) * 255),
    );
    const worst = Math.max(...painted.map((grey, i) => Math.abs(grey - referenceGrey[i]!)));
    expect(worst).toBeLessThanOrEqual(2);
    expect(element.liveDrawing!.evaluations).toBe(4);
    await vi.waitFor(() => expect(element.liveDrawing?.reading).toBeDefined(), {
      timeout: 30_000,
    });
    expect(element.liveDrawing!.reading!.digit).toBe(3);
    expect(part(element, 'live-caption')!.textContent).toMatch(/4\s*evaluations/);

    // The digit, the seed and the noise seed dial each redraw too.
    const drawnBefore = element.liveStats.drawn;
    const select = element.shadowRoot!.querySelector<HTMLSelectElement>('[part~="live"] select')!;
    await userEvent.selectOptions(select, '7');
    expect(element.digit).toBe(7);
    await vi.waitFor(() => expect(element.liveDrawing?.reading?.digit).toBe(7), {
      timeout: 30_000,
    });
    const dial = part(element, 'noise-seed-dial') as HTMLInputElement;
    dial.focus();
    await userEvent.keyboard('{ArrowRight}');
    expect(element.noiseSeed).toBe(1);
    const seed = part(element, 'live-seed') as HTMLInputElement;
    await userEvent.fill(seed, '12');
    expect(element.seed).toBe(12);
    await vi.waitFor(
      () => {
        expect(element.running).toBe(false);
        expect(element.liveStats.drawn).toBeGreaterThanOrEqual(drawnBefore + 2);
      },
      { timeout: 60_000 },
    );
    const after = await expected(element);
    expect(element.liveDrawing!.image).toEqual(after);
  });

  test('steps against quality: one seed at 1, 2, 4 and 8 steps side by side, each read by the classifier', async () => {
    const element = await mount(
      html`<genviz-diffusion-stepper
        .runtime=${runtime}
        mode="live"
        digit="2"
        seed="9"
      ></genviz-diffusion-stepper>`,
    );
    const completions: GenvizCompleteEvent[] = [];
    element.addEventListener('genviz-complete', (event) => completions.push(event));
    await vi.waitFor(() => expect(element.qualityStrip).toHaveLength(4), { timeout: 60_000 });
    await element.updateComplete;
    expect(completions.map((event) => [event.run, event.scheduler])).toEqual([['live', 'lcm']]);
    const strip = element.qualityStrip;
    expect(strip.map((drawing) => [drawing.steps, drawing.evaluations])).toEqual([
      [1, 1],
      [2, 2],
      [4, 4],
      [8, 8],
    ]);
    // The 4-step figure is the live digit; the others differ from it.
    expect(strip[2]!.image).toEqual(element.liveDrawing!.image);
    expect(strip[0]!.image).not.toEqual(strip[3]!.image);
    const figures = parts(element, 'quality-step');
    expect(figures.map((figure) => figure.dataset['steps'])).toEqual(['1', '2', '4', '8']);
    for (const [index, figure] of figures.entries()) {
      expect(figure.textContent).toMatch(/Reads \d \(\d+/);
      const canvas = figure.querySelector('canvas')!;
      expect(Math.max(...pixels(canvas))).toBeGreaterThan(128);
      expect(figure.querySelector('[data-reading]')!.getAttribute('data-reading')).toBe(
        String(strip[index]!.reading!.digit),
      );
    }
    // With 4 and 8 steps the classifier reads the asked digit.
    expect(strip[2]!.reading!.digit).toBe(2);
    expect(strip[3]!.reading!.digit).toBe(2);
  });
});
