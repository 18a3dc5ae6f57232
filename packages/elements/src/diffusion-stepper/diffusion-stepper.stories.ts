import { GenvizRuntime } from '@genviz/runtime';
import type { LoadedModel, ModelCallOptions, ModelProgress } from '@genviz/runtime';
import type { Meta, StoryObj } from '@storybook/web-components-vite';
import { html } from 'lit';
import { expect, waitFor } from 'storybook/test';
import { part as partOf, MODEL_WORK } from '../testing/dom.js';
import './define.js';
import { schedulerNames } from './diffusion-stepper.js';
import type { GenvizDiffusionStepper } from './diffusion-stepper.js';

interface Args {
  mode: 'forward' | 'reverse' | 'race' | 'live';
  scheduler: string;
  steps: number;
  seed: number;
  digit: string;
  guidance: number;
  timestep: number;
  raceSteps: number;
  device: 'auto' | 'webgpu' | 'wasm';
}

const meta: Meta<Args> = {
  title: 'Elements/Diffusion stepper',
  component: 'genviz-diffusion-stepper',
  tags: ['autodocs'],
  args: {
    mode: 'forward',
    scheduler: 'ddim',
    steps: 50,
    seed: 0,
    digit: '3',
    guidance: 3,
    timestep: 0,
    raceSteps: 1000,
    device: 'auto',
  },
  argTypes: {
    mode: { control: 'inline-radio', options: ['forward', 'reverse', 'race', 'live'] },
    scheduler: { control: 'select', options: schedulerNames() },
    digit: {
      control: 'select',
      options: ['none', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    },
    device: { control: 'inline-radio', options: ['auto', 'webgpu', 'wasm'] },
    steps: { control: { type: 'number', min: 1, max: 1000 } },
    guidance: { control: { type: 'range', min: 0, max: 20, step: 0.5 } },
    timestep: { control: { type: 'range', min: 0, max: 1000, step: 1 } },
  },
  render: (args) =>
    html`<div style="max-inline-size: 860px">
      <genviz-diffusion-stepper
        mode=${args.mode}
        scheduler=${args.scheduler}
        steps=${args.steps}
        seed=${args.seed}
        digit=${args.digit}
        guidance=${args.guidance}
        timestep=${args.timestep}
        race-steps=${args.raceSteps}
        device=${args.device}
      ></genviz-diffusion-stepper>
    </div>`,
};
export default meta;

type Story = StoryObj<Args>;

const stepperIn = async (canvasElement: HTMLElement) => {
  const element = canvasElement.querySelector<GenvizDiffusionStepper>('genviz-diffusion-stepper')!;
  await element.updateComplete;
  return element;
};
const part = (element: GenvizDiffusionStepper, name: string) => partOf(element, name)!;
const variance = (element: GenvizDiffusionStepper) =>
  Number(part(element, 'readout').querySelector('[data-variance]')?.getAttribute('data-variance'));

/** The forward process on a held-out digit at t = 300: half signal, half noise. */
export const Forward: Story = {
  args: { digit: '7', timestep: 300 },
  play: async ({ canvasElement }) => {
    const element = await stepperIn(canvasElement);
    await waitFor(
      () => expect(part(element, 'readout').querySelector('[data-variance]')).not.toBeNull(),
      MODEL_WORK,
    );
    await expect(part(element, 'source').textContent).toMatch(/held-out 7/);
    await expect(part(element, 'readout').textContent).toMatch(/Signal-to-noise ratio at t = 300/);
    await expect(variance(element)).toBeGreaterThan(0.3);
  },
};

/** The reverse process, ready to sample: its controls, empty panels, the model loaded. */
export const Reverse: Story = {
  args: { mode: 'reverse', steps: 20 },
  play: async ({ canvasElement }) => {
    const element = await stepperIn(canvasElement);
    await expect(part(element, 'play-button').textContent!.trim()).toBe('Play');
    await expect(part(element, 'counter').textContent).toMatch(/Step\s*0\s*of 20/);
    await expect(element.shadowRoot!.querySelectorAll('[part~="panel"]')).toHaveLength(3);
    // The model loads when the view is shown, and the device line says where it runs.
    await waitFor(() => expect(part(element, 'device')).not.toBeNull(), MODEL_WORK);
  },
};

/** The race's lanes on one seed and digit: DDPM (here 100 steps), DDIM 50, DPM-Solver++ 20, DDIM 50 in latent space, and the distilled consistency model in 4 steps. */
export const Race: Story = {
  args: { mode: 'race', raceSteps: 100, digit: '1' },
  play: async ({ canvasElement }) => {
    const element = await stepperIn(canvasElement);
    const lanes = [...element.shadowRoot!.querySelectorAll('[part~="lane"]')];
    await expect(lanes.map((lane) => lane.querySelector('strong')!.textContent)).toEqual([
      'DDPM',
      'DDIM',
      'DPM-Solver++',
      'Latent DDIM',
      'Consistency',
    ]);
    await expect(lanes.map((lane) => lane.getAttribute('data-status'))).toEqual([
      'waiting',
      'waiting',
      'waiting',
      'waiting',
      'waiting',
    ]);
    await expect(part(element, 'race-button').textContent!.trim()).toBe('Start the race');
  },
};

/**
 * Live: the distilled consistency model (mnist-lcm) redraws the digit at every input, without
 * Play (drag the guidance slider, turn the noise seed dial); below, one seed at 1, 2, 4 and 8 steps.
 */
export const Live: Story = {
  args: { mode: 'live', digit: '5' },
  play: async ({ canvasElement }) => {
    const element = await stepperIn(canvasElement);
    await waitFor(() => expect(element.liveDrawing?.reading?.digit).toBe(5), { timeout: 60_000 });
    await expect(element.liveDrawing!.evaluations).toBe(4);
    await waitFor(() => expect(element.qualityStrip).toHaveLength(4), { timeout: 60_000 });
  },
};

/** Guidance made visible: a sampled 7 at guidance 5, with the two noise predictions. */
export const Guidance: Story = {
  args: { mode: 'reverse', steps: 10, digit: '7', guidance: 5 },
  render: (args) =>
    html`<div style="max-inline-size: 860px">
      <genviz-diffusion-stepper
        mode="reverse"
        steps=${args.steps}
        digit=${args.digit}
        guidance=${args.guidance}
        autoplay
      ></genviz-diffusion-stepper>
    </div>`,
  play: async ({ canvasElement }) => {
    const element = await stepperIn(canvasElement);
    await waitFor(() => expect(element.matches(':state(complete)')).toBe(true), MODEL_WORK);
    await expect(element.shadowRoot!.querySelectorAll('[part~="guidance-panel"]')).toHaveLength(4);
    await expect(part(element, 'guidance').querySelector('h3')!.textContent).toMatch(/step 10/);
  },
};

/** Any image, not only digits: a drawn letter, letterboxed to 28x28 grey, then noised. */
export const OwnImage: Story = {
  render: () => {
    const canvas = document.createElement('canvas');
    canvas.width = 120;
    canvas.height = 80;
    const context = canvas.getContext('2d')!;
    context.fillStyle = '#fff';
    context.font = 'bold 70px sans-serif';
    context.fillText('A', 35, 70);
    return html`<genviz-diffusion-stepper
      image=${canvas.toDataURL('image/png')}
      timestep="100"
    ></genviz-diffusion-stepper>`;
  },
  play: async ({ canvasElement }) => {
    const element = await stepperIn(canvasElement);
    await waitFor(
      () => expect(part(element, 'source').textContent).toMatch(/an embedded image/),
      MODEL_WORK,
    );
    await expect(part(element, 'source').textContent).toMatch(/Use a held-out digit/);
  },
};

/** Latent diffusion: the UNet denoises the autoencoder's 4x7x7 latent; each step is decoded to show. */
export const Latent: Story = {
  args: { mode: 'reverse', steps: 20, digit: '4' },
  render: (args) =>
    html`<div style="max-inline-size: 860px">
      <genviz-diffusion-stepper
        mode="reverse"
        space="latent"
        steps=${args.steps}
        digit=${args.digit}
        autoplay
      ></genviz-diffusion-stepper>
    </div>`,
  play: async ({ canvasElement }) => {
    const element = await stepperIn(canvasElement);
    await waitFor(() => expect(element.matches(':state(complete)')).toBe(true), MODEL_WORK);
    await expect(element.shadowRoot!.querySelectorAll('[part~="latent-channel"]')).toHaveLength(4);
    await expect(element.trajectory[0]!.sample).toHaveLength(196);
  },
};

/** Every scheduler the core implements, 10 steps each. */
export const EveryScheduler: Story = {
  render: () =>
    html`<div
      style="display: grid; gap: 1rem; grid-template-columns: repeat(auto-fill, minmax(min(340px, 100%), 1fr))"
    >
      ${schedulerNames().map(
        (name) =>
          html`<genviz-diffusion-stepper
            mode="reverse"
            scheduler=${name}
            steps="10"
            digit="2"
            seed="1"
          ></genviz-diffusion-stepper>`,
      )}
    </div>`,
  play: async ({ canvasElement }) => {
    const elements = [
      ...canvasElement.querySelectorAll<GenvizDiffusionStepper>('genviz-diffusion-stepper'),
    ];
    await expect(elements.length).toBe(schedulerNames().length);
    const failures: string[] = [];
    for (const element of elements) {
      const done = new Promise<string | undefined>((resolve) => {
        element.addEventListener('genviz-complete', () => resolve(undefined), { once: true });
        element.addEventListener('genviz-error', (event) => resolve(event.message), {
          once: true,
        });
      });
      element.play();
      const failure = await done;
      if (failure) failures.push(`${element.scheduler}: ${failure}`);
    }
    await expect(failures).toEqual([]);
  },
};

/** Themed in dark mode: a page-wide token (the accent) and one of the element's own (its background). */
export const Themed: Story = {
  args: { mode: 'reverse', steps: 10 },
  render: (args) =>
    html`<div
      style="color-scheme: dark; max-inline-size: 720px;
        --genviz-accent-color: #22c55e;
        --genviz-diffusion-stepper-background: #0b1320;
        --genviz-diffusion-stepper-radius: 0;"
    >
      <genviz-diffusion-stepper mode=${args.mode} steps=${args.steps}></genviz-diffusion-stepper>
    </div>`,
  play: async ({ canvasElement }) => {
    const element = await stepperIn(canvasElement);
    await expect(getComputedStyle(part(element, 'base')).backgroundColor).toBe('rgb(11, 19, 32)');
    await expect(getComputedStyle(part(element, 'play-button')).backgroundColor).toBe(
      'rgb(34, 197, 94)',
    );
    // Unthemed tokens follow the dark scheme through light-dark().
    await expect(getComputedStyle(part(element, 'controls')).color).toBe('rgb(236, 236, 241)');
  },
};

/** A runtime whose model never finishes downloading: the loading state. */
class StalledRuntime extends GenvizRuntime {
  override load(
    model: string,
    options: Omit<ModelCallOptions, 'model'> = {},
  ): Promise<LoadedModel> {
    const progress: ModelProgress = {
      status: 'downloading',
      file: 'unet.onnx',
      loaded: 2_500_000,
      total: 6_400_000,
      model,
      loadedBytes: 2_500_000,
      totalBytes: 6_400_000,
    };
    setTimeout(() => options.onProgress?.(progress), 50);
    return new Promise<LoadedModel>(() => undefined);
  }
}

export const Loading: Story = {
  name: 'Loading',
  render: () =>
    html`<genviz-diffusion-stepper
      mode="reverse"
      .runtime=${new StalledRuntime()}
    ></genviz-diffusion-stepper>`,
  play: async ({ canvasElement }) => {
    const element = await stepperIn(canvasElement);
    await waitFor(() => expect(element.matches(':state(loading)')).toBe(true));
    await waitFor(() => expect(part(element, 'progress')).not.toBeNull());
    await waitFor(() =>
      expect(element.shadowRoot!.textContent).toMatch(/Loading the model \(39%\)/),
    );
  },
};

/** A model URL that does not exist, and an invalid step count. */
export const ErrorState: Story = {
  name: 'Error',
  render: () =>
    html`<genviz-diffusion-stepper
      mode="reverse"
      model="/no-such-model/manifest.json"
      steps="5000"
    ></genviz-diffusion-stepper>`,
  play: async ({ canvasElement }) => {
    const element = await stepperIn(canvasElement);
    await expect(part(element, 'message').textContent).toMatch(/not 5000/);
    element.steps = 20;
    await waitFor(() => expect(part(element, 'error')).not.toBeNull(), MODEL_WORK);
    await expect(part(element, 'error').textContent).toMatch(/no-such-model/);
    await expect(element.matches(':state(error)')).toBe(true);
  },
};

/** 320 px wide: the views stack, nothing overflows. */
export const Narrow: Story = {
  render: (args) =>
    html`<div style="inline-size: 320px">
      <genviz-diffusion-stepper mode=${args.mode}></genviz-diffusion-stepper>
    </div>`,
  play: async ({ canvasElement }) => {
    const element = await stepperIn(canvasElement);
    for (const mode of ['forward', 'reverse', 'race'] as const) {
      element.mode = mode;
      await element.updateComplete;
      const base = part(element, 'base');
      await expect(base.scrollWidth).toBeLessThanOrEqual(base.clientWidth + 1);
    }
  },
};
