import { GenvizRuntime } from '@genviz/runtime';
import type { SampleOptions } from '@genviz/runtime';
import { html, render } from 'lit';
import type { TemplateResult } from 'lit';
import { afterAll, afterEach, describe, expect, test, vi } from 'vitest';
import { userEvent } from 'vitest/browser';
import './define.js';
import type { GenvizDiffusionStepper } from './diffusion-stepper.js';
import type { GenvizCompleteEvent, GenvizErrorEvent } from './events.js';
import {
  inState,
  mount as mountElement,
  once,
  part,
  parts,
  pixels,
  unmountAll,
  MODEL_WORK,
} from '../testing/dom.js';

// Against the real default models (@genviz/models), in the runtime's worker, on WASM: the
// machine is small and shared, so runs are short (DDIM 50, a 20-step race).

const runtime = new GenvizRuntime({ idleTimeoutMs: 120_000, device: 'wasm' });
afterAll(() => runtime.terminate());

let host: HTMLElement | undefined;
afterEach(() => {
  host?.remove();
  host = undefined;
  unmountAll();
  vi.restoreAllMocks();
});

const mount = (template: TemplateResult, width = 640) =>
  mountElement<GenvizDiffusionStepper>(template, 'genviz-diffusion-stepper', width);
const matches = inState;

describe('<genviz-diffusion-stepper> forward process', () => {
  test('noises a held-out digit; at t = 1000 the pixels are standard normal', async () => {
    const element = await mount(
      html`<genviz-diffusion-stepper .runtime=${runtime} digit="7"></genviz-diffusion-stepper>`,
    );
    await vi.waitFor(
      () => expect(part(element, 'readout')!.querySelector('[data-variance]')).not.toBeNull(),
      MODEL_WORK,
    );
    expect(part(element, 'source')!.textContent).toMatch(/held-out 7/);
    const variance = () =>
      Number(
        part(element, 'readout')!.querySelector('[data-variance]')!.getAttribute('data-variance'),
      );
    const mean = () =>
      Number(part(element, 'readout')!.querySelector('[data-mean]')!.getAttribute('data-mean'));
    // A clean MNIST digit: mostly background at -1.
    expect(mean()).toBeLessThan(-0.5);
    expect(variance()).toBeLessThan(0.7);
    const clean = pixels(part(element, 'image') as HTMLCanvasElement);

    // The milestone buttons, one click each.
    const milestones = element.shadowRoot!.querySelectorAll('[part~="milestone"]');
    expect([...milestones].map((button) => button.textContent!.trim())).toEqual([
      't = 0',
      't = 200',
      't = 500',
      't = 800',
      't = 1000',
    ]);
    await userEvent.click(milestones[4]!);
    await element.updateComplete;
    expect(element.timestep).toBe(1000);
    expect(variance()).toBeGreaterThan(0.85);
    expect(variance()).toBeLessThan(1.15);
    expect(Math.abs(mean())).toBeLessThan(0.15);
    expect(part(element, 'readout')!.textContent).toMatch(
      /Signal-to-noise ratio at t = 1000: 4\.\d+e-5|0\.0000\d/,
    );
    expect(pixels(part(element, 'image') as HTMLCanvasElement)).not.toEqual(clean);

    // The slider is a native range input, operable from the keyboard.
    const slider = part(element, 'timestep-slider') as HTMLInputElement;
    slider.focus();
    await userEvent.keyboard('{Home}');
    expect(element.timestep).toBe(0);
    expect(pixels(part(element, 'image') as HTMLCanvasElement)).toEqual(clean);
    expect(part(element, 'readout')!.textContent).toMatch(/∞/);
  });

  test('takes the reader’s own image, of any size and colour', async () => {
    const element = await mount(
      html`<genviz-diffusion-stepper .runtime=${runtime}></genviz-diffusion-stepper>`,
    );
    // A 90x60 red rectangle with a white bar.
    const canvas = new OffscreenCanvas(90, 60);
    const context = canvas.getContext('2d')!;
    context.fillStyle = '#c00';
    context.fillRect(0, 0, 90, 60);
    context.fillStyle = '#fff';
    context.fillRect(40, 0, 10, 60);
    const blob = await canvas.convertToBlob({ type: 'image/png' });
    const input = element.shadowRoot!.querySelector<HTMLInputElement>('input[type="file"]')!;
    await userEvent.upload(input, new File([blob], 'bar.png', { type: 'image/png' }));
    await vi.waitFor(
      () => expect(part(element, 'source')!.textContent).toMatch(/bar\.png/),
      MODEL_WORK,
    );
    await element.updateComplete;
    const grey = pixels(part(element, 'image') as HTMLCanvasElement);
    // Letterboxed: the top row is black; the white bar is in the middle column.
    expect(grey[0]).toBe(0);
    expect(grey[14 * 28 + 14]).toBeGreaterThan(200);
    // Red becomes its luma (0.299 * 204 = 61).
    expect(grey[14 * 28 + 5]).toBeGreaterThan(40);
    expect(grey[14 * 28 + 5]).toBeLessThan(80);
  });

  test('takes a pasted or dropped image', async () => {
    const element = await mount(
      html`<genviz-diffusion-stepper
        .runtime=${runtime}
        mode="reverse"
      ></genviz-diffusion-stepper>`,
    );
    const canvas = new OffscreenCanvas(28, 28);
    const context = canvas.getContext('2d')!;
    context.fillStyle = '#fff';
    context.fillRect(0, 0, 28, 28);
    const white = await canvas.convertToBlob({ type: 'image/png' });
    const pasted = new DataTransfer();
    pasted.items.add(new File([white], 'clipboard.png', { type: 'image/png' }));
    part(element, 'base')!.dispatchEvent(
      new ClipboardEvent('paste', { clipboardData: pasted, bubbles: true, composed: true }),
    );
    // Pasting an image shows its forward process.
    await element.updateComplete;
    expect(element.mode).toBe('forward');
    await vi.waitFor(
      () => expect(part(element, 'source')!.textContent).toMatch(/pasted/),
      MODEL_WORK,
    );
    await element.updateComplete;
    expect(pixels(part(element, 'image') as HTMLCanvasElement)[400]).toBe(255);

    context.fillStyle = '#000';
    context.fillRect(0, 0, 28, 28);
    const dropped = new DataTransfer();
    dropped.items.add(
      new File([await canvas.convertToBlob({ type: 'image/png' })], 'black.png', {
        type: 'image/png',
      }),
    );
    part(element, 'forward')!.dispatchEvent(
      new DragEvent('drop', { dataTransfer: dropped, bubbles: true, cancelable: true }),
    );
    await vi.waitFor(
      () => expect(part(element, 'source')!.textContent).toMatch(/black\.png/),
      MODEL_WORK,
    );
    await element.updateComplete;
    expect(pixels(part(element, 'image') as HTMLCanvasElement)[400]).toBe(0);
  });

  test('an unreadable image shows its error', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const errors: GenvizErrorEvent[] = [];
    host = document.createElement('div');
    document.body.append(host);
    host.addEventListener('genviz-error', (event) => errors.push(event));
    const bad = URL.createObjectURL(new Blob(['not an image'], { type: 'text/plain' }));
    render(
      html`<genviz-diffusion-stepper .runtime=${runtime} image=${bad}></genviz-diffusion-stepper>`,
      host,
    );
    const element = host.querySelector('genviz-diffusion-stepper')!;
    await vi.waitFor(() => expect(part(element, 'error')).not.toBeNull(), MODEL_WORK);
    expect(part(element, 'error')!.textContent).toMatch(/not an image/);
    expect(part(element, 'error')!.getAttribute('role')).toBe('alert');
    expect(matches(element, 'error')).toBe(true);
    expect(errors.map((event) => event.code)).toContain('invalid-argument');
    expect(warn.mock.calls.map((call) => String(call[0])).join('\n')).toMatch(/not an image/);
    warn.mockRestore();
  });
});

describe('<genviz-diffusion-stepper> attributes', () => {
  test('rejects invalid values with a visible message and a warning, without crashing', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const element = await mount(
      html`<genviz-diffusion-stepper
        .runtime=${runtime}
        mode="reverse"
        steps="5000"
        scheduler="warp-drive"
      ></genviz-diffusion-stepper>`,
    );
    const message = part(element, 'message')!;
    expect(message.getAttribute('role')).toBe('alert');
    expect(message.textContent).toMatch(/steps must be a whole number from 1 to 1000, not 5000/);
    expect(message.textContent).toMatch(/Unknown scheduler "warp-drive"/);
    expect(warn.mock.calls.map((call) => String(call[0])).join('\n')).toMatch(/steps must be/);
    expect(matches(element, 'error')).toBe(true);
    // Play does nothing but say why.
    element.play();
    await element.updateComplete;
    expect(element.running).toBe(false);
    element.steps = 0;
    await element.updateComplete;
    expect(part(element, 'message')!.textContent).toMatch(/not 0/);
    element.steps = 20;
    element.scheduler = 'euler';
    await element.updateComplete;
    expect(part(element, 'message')).toBeNull();
  });

  test('a model URL that does not exist shows model-not-found', async () => {
    const element = await mount(
      html`<genviz-diffusion-stepper
        .runtime=${runtime}
        mode="reverse"
        model="/no-such-model/manifest.json"
      ></genviz-diffusion-stepper>`,
    );
    const error = await once(element, 'genviz-error');
    expect(error.code).toBe('model-not-found');
    await element.updateComplete;
    expect(part(element, 'error')!.textContent).toMatch(/no-such-model/);
    expect(matches(element, 'error')).toBe(true);
    expect(matches(element, 'loading')).toBe(false);
  });
});

describe('<genviz-diffusion-stepper> reverse process', () => {
  test('DDIM 50 for a 3 draws a 3; the trajectory is kept and scrubbing does not recompute', async () => {
    const calls: SampleOptions[] = [];
    const sample = runtime.diffusion.sample;
    runtime.diffusion.sample = (options = {}) => {
      calls.push(options);
      return sample(options);
    };
    try {
      const element = await mount(
        html`<genviz-diffusion-stepper
          .runtime=${runtime}
          mode="reverse"
          device="auto"
          scheduler="ddim"
          steps="50"
          digit="3"
          guidance="3"
          seed="3"
        ></genviz-diffusion-stepper>`,
      );
      let steps = 0;
      element.addEventListener('genviz-step', () => (steps += 1));
      const complete = once(element, 'genviz-complete');
      element.play();
      await vi.waitFor(
        () => expect(element.running || element.trajectory.length > 0).toBe(true),
        MODEL_WORK,
      );
      const done: GenvizCompleteEvent = await complete;
      expect(done.result.evaluations).toBe(50);
      expect.soft(done.reading?.digit).toBe(3);
      expect(element.trajectory).toHaveLength(50);
      expect(steps).toBe(50);
      expect(calls).toHaveLength(1);
      await element.updateComplete;
      expect.soft(part(element, 'result')!.textContent).toMatch(/reads a\s*3/);
      expect(part(element, 'counter')!.textContent).toMatch(/Model evaluations:\s*50/);
      expect(matches(element, 'complete')).toBe(true);
      // The device line says where the model ran and why; WASM while WebGPU was allowed
      // (device="auto") is the CPU-fallback state.
      expect(part(element, 'device')!.textContent).toContain(done.result.device.reason);
      expect(matches(element, 'cpu-fallback')).toBe(done.result.device.device === 'wasm');
      // The guidance view: the two noise predictions and their combination.
      expect(element.trajectory[10]!.unconditionalNoise).toHaveLength(784);
      expect(element.shadowRoot!.querySelectorAll('[part~="guidance-panel"]')).toHaveLength(4);

      // Scrub back with the keyboard: stored steps are shown, nothing is recomputed.
      const last = pixels(part(element, 'panel-prediction') as HTMLCanvasElement);
      const scrubber = part(element, 'scrubber') as HTMLInputElement;
      scrubber.focus();
      await userEvent.keyboard('{Home}');
      await element.updateComplete;
      expect(element.currentStep).toBe(0);
      expect(part(element, 'counter')!.textContent).toMatch(/Step\s*1\s*of 50/);
      const first = pixels(part(element, 'panel-prediction') as HTMLCanvasElement);
      expect(first).not.toEqual(last);
      element.currentStep = 49;
      await element.updateComplete;
      expect(pixels(part(element, 'panel-prediction') as HTMLCanvasElement)).toEqual(last);
      expect(calls).toHaveLength(1);
      expect(steps).toBe(50);
      expect(element.evaluations).toBe(50);

      // Same settings, same image.
      element.reset();
      const again = once(element, 'genviz-complete');
      element.play();
      const repeat = await again;
      expect(Array.from(repeat.result.sample)).toEqual(Array.from(done.result.sample));
    } finally {
      runtime.diffusion.sample = sample;
    }
  });

  test('pausing stops model evaluations; play resumes; keys work with the element focused', async () => {
    const element = await mount(
      html`<genviz-diffusion-stepper
        .runtime=${runtime}
        mode="reverse"
        scheduler="ddpm"
        steps="200"
        digit="5"
      ></genviz-diffusion-stepper>`,
    );
    // "Nothing more happens" is checked over several times the longest step seen, so a loaded
    // machine's slower steps get a longer look rather than a false alarm.
    const arrivals: number[] = [];
    element.addEventListener('genviz-step', () => arrivals.push(performance.now()));
    const quiet = () => {
      const gaps = arrivals.slice(1).map((at, i) => at - arrivals[i]!);
      return new Promise((resolve) => setTimeout(resolve, Math.max(500, 5 * Math.max(...gaps))));
    };
    part(element, 'base')!.focus();
    await userEvent.keyboard('k');
    await vi.waitFor(() => expect(element.trajectory.length).toBeGreaterThan(3), MODEL_WORK);
    expect(matches(element, 'running')).toBe(true);
    await userEvent.keyboard('k');
    expect(element.paused).toBe(true);
    // At most the step in flight completes.
    await quiet();
    const evaluations = element.evaluations;
    await quiet();
    expect(element.evaluations).toBe(evaluations);
    await element.updateComplete;
    expect(matches(element, 'paused')).toBe(true);
    expect(matches(element, 'running')).toBe(false);
    expect(element.shadowRoot!.querySelector('[aria-live="polite"]')!.textContent).toMatch(
      /Paused at step \d+ of 200/,
    );
    // Single step computes exactly one more.
    await userEvent.keyboard('.');
    await vi.waitFor(() => expect(element.evaluations).toBe(evaluations + 1), MODEL_WORK);
    await quiet();
    expect(element.evaluations).toBe(evaluations + 1);
    // Keys are bound to the element, not the page.
    part(element, 'base')!.blur();
    await userEvent.keyboard('k');
    expect(element.paused).toBe(true);
    part(element, 'base')!.focus();
    await userEvent.keyboard('k');
    await vi.waitFor(
      () => expect(element.evaluations).toBeGreaterThan(evaluations + 3),
      MODEL_WORK,
    );
    element.reset();
  });
});

describe('<genviz-diffusion-stepper> what a reader meets (issue 24)', () => {
  test('a NaN steps property is quoted as NaN, not as the stale attribute', async () => {
    const element = await mount(
      html`<genviz-diffusion-stepper
        .runtime=${runtime}
        mode="reverse"
        steps="5"
      ></genviz-diffusion-stepper>`,
    );
    element.steps = Number.NaN;
    await element.updateComplete;
    expect(part(element, 'message')!.textContent).toMatch(/steps must .*not NaN/);
    expect(part(element, 'message')!.textContent).not.toMatch(/"5"/);
  });

  test('one pixels / latent switch, chosen with a click', async () => {
    const element = await mount(
      html`<genviz-diffusion-stepper
        .runtime=${runtime}
        mode="reverse"
      ></genviz-diffusion-stepper>`,
    );
    const buttons = parts(element, 'space-button');
    expect(buttons.map((button) => button.textContent!.trim())).toEqual([
      'On pixels (1x28x28)',
      'In latent space (4x7x7)',
    ]);
    await userEvent.click(buttons[1]!);
    expect(element.space).toBe('latent');
  });

  test('Heun: steps and model evaluations apart; the cursor caption says the t shown; the guidance direction shows', async () => {
    const element = await mount(
      html`<genviz-diffusion-stepper
        .runtime=${runtime}
        mode="reverse"
        scheduler="heun"
        steps="10"
        digit="3"
        guidance="3"
      ></genviz-diffusion-stepper>`,
    );
    const complete = once(element, 'genviz-complete');
    await userEvent.click(part(element, 'play-button')!);
    await complete;
    await element.updateComplete;
    const counter = part(element, 'counter')!.textContent!;
    expect(counter).toMatch(/Step\s*10\s*of 10/);
    expect(counter).toMatch(/Model evaluations:\s*19/);
    const t = /t = (\d+)/.exec(counter)![1];
    expect(element.shadowRoot!.querySelector('.schedule figcaption')!.textContent).toMatch(
      new RegExp(`Cursor at t = ${t}\\.`),
    );
    // The first step's guidance direction spans the grey levels instead of a flat grey.
    const scrubber = part(element, 'scrubber') as HTMLInputElement;
    scrubber.focus();
    await userEvent.keyboard('{Home}');
    await element.updateComplete;
    const direction = pixels(part(element, 'guidance-direction') as HTMLCanvasElement);
    expect(Math.max(...direction) - Math.min(...direction)).toBeGreaterThan(200);
  });

  test('Resume after scrubbing back follows the run to its last step', async () => {
    const element = await mount(
      html`<genviz-diffusion-stepper
        .runtime=${runtime}
        mode="reverse"
        scheduler="ddim"
        steps="50"
      ></genviz-diffusion-stepper>`,
    );
    part(element, 'base')!.focus();
    await userEvent.keyboard('k');
    await vi.waitFor(() => expect(element.trajectory.length).toBeGreaterThan(3), MODEL_WORK);
    await userEvent.keyboard('k');
    expect(element.paused).toBe(true);
    const scrubber = part(element, 'scrubber') as HTMLInputElement;
    scrubber.focus();
    await userEvent.keyboard('{Home}');
    expect(element.currentStep).toBe(0);
    const complete = once(element, 'genviz-complete');
    await userEvent.click(part(element, 'play-button')!);
    await complete;
    await element.updateComplete;
    expect(element.currentStep).toBe(49);
    expect(part(element, 'counter')!.textContent).toMatch(/Step\s*50\s*of 50/);
  });
});

describe('<genviz-diffusion-stepper> latent diffusion', () => {
  test('samples in the 4x7x7 latent space, decodes each step to show it, and reads the result', async () => {
    const element = await mount(
      html`<genviz-diffusion-stepper
        .runtime=${runtime}
        mode="reverse"
        space="latent"
        steps="20"
        digit="7"
        seed="1"
      ></genviz-diffusion-stepper>`,
    );
    const complete = once(element, 'genviz-complete');
    element.play();
    const done: GenvizCompleteEvent = await complete;
    expect(done.result.shape).toEqual([1, 4, 7, 7]);
    expect(done.result.image).toHaveLength(784);
    expect(element.trajectory).toHaveLength(20);
    expect(element.trajectory[5]!.sample).toHaveLength(196);
    expect(element.trajectory[5]!.decodedPrediction).toHaveLength(784);
    expect.soft(done.reading?.digit).toBe(7);
    await element.updateComplete;
    expect(element.shadowRoot!.querySelectorAll('[part~="latent-channel"]')).toHaveLength(4);
    const shown = pixels(part(element, 'panel-prediction') as HTMLCanvasElement);
    expect(shown.some((value) => value > 128)).toBe(true);
    // Back on pixels: the run of the other space is gone, the pixel panels are back.
    element.space = 'pixel';
    await element.updateComplete;
    expect(element.trajectory).toHaveLength(0);
    expect(part(element, 'panel-sample')).not.toBeNull();
  });
});

describe('<genviz-diffusion-stepper> race', () => {
  test('races DDPM, DDIM, DPM-Solver++, latent DDIM and the 4-step consistency model on one seed and reads each result', async () => {
    const element = await mount(
      html`<genviz-diffusion-stepper
        .runtime=${runtime}
        mode="race"
        race-steps="20"
        digit="1"
        seed="7"
      ></genviz-diffusion-stepper>`,
    );
    const completions: GenvizCompleteEvent[] = [];
    element.addEventListener('genviz-complete', (event) => completions.push(event));
    await userEvent.click(part(element, 'race-button')!);
    await vi.waitFor(() => expect(completions).toHaveLength(5), MODEL_WORK);
    expect(completions.map((event) => [event.scheduler, event.result.evaluations])).toEqual([
      ['dpmsolver++', 20],
      ['ddim', 50],
      ['ddpm', 20],
      ['ddim', 50],
      ['lcm', 4],
    ]);
    // The consistency lane: 4 evaluations (the guidance scale is an input, no batch-2 call),
    // the same seed and digit, decoded once, with its time.
    expect(completions[4]!.result.shape).toEqual([1, 4, 7, 7]);
    expect(completions[4]!.result.decodes).toBe(1);
    const consistency = part(element, 'lane-consistency')!;
    expect(consistency.textContent).toMatch(/Consistency\s*·\s*4\s*steps/);
    expect(consistency.textContent).toMatch(/Evaluations:\s*4/);
    expect(consistency.textContent).toMatch(/Time: \d/);
    // The latent lane: 50 UNet evaluations on 4x7x7, and its image decoded once.
    expect(completions[3]!.result.shape).toEqual([1, 4, 7, 7]);
    expect(completions[3]!.result.decodes).toBe(1);
    await element.updateComplete;
    const lanes = element.shadowRoot!.querySelectorAll('[part~="lane"]');
    expect(lanes).toHaveLength(5);
    for (const lane of lanes) {
      expect(lane.getAttribute('data-status')).toBe('done');
      expect(lane.textContent).toMatch(/Reads \d \(\d+/);
    }
    expect.soft(element.raceLanes.map((lane) => lane.reading?.digit)).toEqual([1, 1, 1, 1, 1]);
  });
});
