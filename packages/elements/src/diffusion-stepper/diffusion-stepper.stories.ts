import { GenvizRuntime } from '@genviz/runtime';
import type { LoadedModel, ModelCallOptions, ModelProgress } from '@genviz/runtime';
import type { Meta, StoryObj } from '@storybook/web-components-vite';
import { html } from 'lit';
import { expect, userEvent, waitFor } from 'storybook/test';
import './define.js';
import { schedulerNames } from './diffusion-stepper.js';
import type { GenvizDiffusionStepper } from './diffusion-stepper.js';

interface Args {
  mode: 'forward' | 'reverse' | 'race';
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
    mode: { control: 'inline-radio', options: ['forward', 'reverse', 'race'] },
    scheduler: { control: 'select', options: schedulerNames() },
    digit: {
      control: 'select',
      options: ['none', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    },
    device: { control: 'inline-radio', options: ['auto', 'webgpu', 'wasm'] },
    steps: { control: { type: 'number', min: 1, max: 1000 } },
    guidance: { control: { type: 'range', min: 0, max: 10, step: 0.5 } },
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
const part = (element: GenvizDiffusionStepper, name: string) =>
  element.shadowRoot!.querySelector<HTMLElement>(`[part~="${name}"]`)!;
const variance = (element: GenvizDiffusionStepper) =>
  Number(part(element, 'readout').querySelector('[data-variance]')?.getAttribute('data-variance'));

/** The forward process on a held-out digit: the milestones take t to pure noise. */
export const Forward: Story = {
  args: { digit: '7' },
  play: async ({ canvasElement }) => {
    const element = await stepperIn(canvasElement);
    await waitFor(
      () => expect(part(element, 'readout').querySelector('[data-variance]')).not.toBeNull(),
      {
        timeout: 30_000,
      },
    );
    await userEvent.click(element.shadowRoot!.querySelectorAll('[part~="milestone"]')[4]!);
    await element.updateComplete;
    await expect(element.timestep).toBe(1000);
    await expect(variance(element)).toBeGreaterThan(0.85);
    await expect(variance(element)).toBeLessThan(1.15);
  },
};

/** The reverse process: play, pause, step and scrub a stored trajectory. */
export const Reverse: Story = {
  args: { mode: 'reverse', steps: 20 },
  play: async ({ canvasElement }) => {
    const element = await stepperIn(canvasElement);
    await userEvent.click(part(element, 'play-button'));
    await waitFor(() => expect(element.matches(':state(complete)')).toBe(true), {
      timeout: 60_000,
    });
    await expect(element.trajectory).toHaveLength(20);
    await expect(part(element, 'counter').textContent).toMatch(/Model evaluations:\s*20/);
    // Stepping back shows stored steps: no new evaluations.
    await userEvent.click(part(element, 'back-button'));
    await userEvent.click(part(element, 'back-button'));
    await expect(element.currentStep).toBe(17);
    await element.updateComplete;
    await expect(part(element, 'counter').textContent).toMatch(/Step\s*18\s*of 20/);
    await expect(element.evaluations).toBe(20);
  },
};

/** DDPM (here 100 steps), DDIM 50 and DPM-Solver++ 20 on the same seed and digit. */
export const Race: Story = {
  args: { mode: 'race', raceSteps: 100, digit: '1' },
  play: async ({ canvasElement }) => {
    const element = await stepperIn(canvasElement);
    await userEvent.click(part(element, 'race-button'));
    await waitFor(
      () => expect(element.raceLanes.map((lane) => lane.status)).toEqual(['done', 'done', 'done']),
      { timeout: 120_000 },
    );
    await expect(element.raceLanes.map((lane) => lane.evaluations)).toEqual([100, 50, 20]);
  },
};

/** Guidance made visible: the unconditional and conditional noise and their combination. */
export const Guidance: Story = {
  args: { mode: 'reverse', steps: 10, digit: '7', guidance: 5 },
  play: async ({ canvasElement }) => {
    const element = await stepperIn(canvasElement);
    element.play();
    await waitFor(() => expect(element.trajectory).toHaveLength(10), { timeout: 60_000 });
    element.currentStep = 3;
    await element.updateComplete;
    await expect(part(element, 'guidance').querySelector('h3')!.textContent).toMatch(/step 4/);
    await expect(element.shadowRoot!.querySelectorAll('[part~="guidance-panel"]')).toHaveLength(4);
    await expect(element.trajectory[3]!.conditionalNoise).toHaveLength(784);
  },
};

/** The reader's own image: picked, dropped or pasted, any size, resized to 28x28 grey. */
export const UploadedImage: Story = {
  play: async ({ canvasElement }) => {
    const element = await stepperIn(canvasElement);
    const canvas = new OffscreenCanvas(120, 80);
    const context = canvas.getContext('2d')!;
    context.fillStyle = '#fff';
    context.font = 'bold 70px sans-serif';
    context.fillText('A', 35, 70);
    const blob = await canvas.convertToBlob({ type: 'image/png' });
    const input = element.shadowRoot!.querySelector<HTMLInputElement>('input[type="file"]')!;
    await userEvent.upload(input, new File([blob], 'letter-a.png', { type: 'image/png' }));
    await waitFor(() => expect(part(element, 'source').textContent).toMatch(/letter-a\.png/), {
      timeout: 30_000,
    });
  },
};

/** Every scheduler the core implements, 10 steps each. */
export const EveryScheduler: Story = {
  render: () =>
    html`<div
      style="display: grid; gap: 1rem; grid-template-columns: repeat(auto-fill, minmax(340px, 1fr))"
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

/** Themed through the public custom properties, in dark mode. */
export const Themed: Story = {
  args: { mode: 'reverse', steps: 10 },
  render: (args) =>
    html`<div
      style="color-scheme: dark; max-inline-size: 720px;
        --genviz-diffusion-stepper-background: #0b1320;
        --genviz-diffusion-stepper-accent-color: #22c55e;
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
    await waitFor(() => expect(part(element, 'error')).not.toBeNull(), { timeout: 30_000 });
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
