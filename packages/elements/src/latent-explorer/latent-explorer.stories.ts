import { GenvizRuntime } from '@genviz/runtime';
import type { LoadedModel, ModelCallOptions } from '@genviz/runtime';
import type { Meta, StoryObj } from '@storybook/web-components-vite';
import { html } from 'lit';
import { expect, waitFor } from 'storybook/test';
import { part as partOf, MODEL_WORK } from '../testing/dom.js';
import './define.js';
import type { GenvizLatentExplorer } from './latent-explorer.js';

interface Args {
  view: 'map' | 'grid' | 'draw' | 'interpolate' | 'sample' | 'flow';
  x: number;
  y: number;
  gridSize: number;
  seed: number;
  interpolation: 'linear' | 'spherical';
}

const meta: Meta<Args> = {
  title: 'Elements/Latent explorer',
  component: 'genviz-latent-explorer',
  tags: ['autodocs'],
  args: { view: 'map', x: 0.5, y: 1, gridSize: 12, seed: 0, interpolation: 'linear' },
  argTypes: {
    view: {
      control: 'inline-radio',
      options: ['map', 'grid', 'draw', 'interpolate', 'sample', 'flow'],
    },
    interpolation: { control: 'inline-radio', options: ['linear', 'spherical'] },
    gridSize: { control: { type: 'range', min: 2, max: 30, step: 1 } },
  },
  render: (args) =>
    html`<div style="max-inline-size: 820px">
      <genviz-latent-explorer
        view=${args.view}
        x=${args.x}
        y=${args.y}
        grid-size=${args.gridSize}
        seed=${args.seed}
        interpolation=${args.interpolation}
      ></genviz-latent-explorer>
    </div>`,
};
export default meta;

type Story = StoryObj<Args>;

const explorerIn = async (canvasElement: HTMLElement) => {
  const element = canvasElement.querySelector<GenvizLatentExplorer>('genviz-latent-explorer')!;
  await element.updateComplete;
  await waitFor(() => expect(element.decoded).toBeDefined(), MODEL_WORK);
  await element.updateComplete;
  return element;
};
const part = (element: Element, name: string) => partOf(element, name)!;

/** The map: 1,000 held-out digits encoded, coloured by class, and the image at the handle. */
export const Map: Story = {
  play: async ({ canvasElement }) => {
    const element = await explorerIn(canvasElement);
    await expect(part(element, 'legend').querySelectorAll('li')).toHaveLength(10);
    await expect(part(element, 'readout').textContent).toMatch(/nearest digits: \d/);
  },
};

/** The decoder over a 12x12 grid of the latent plane, the handle's cell outlined. */
export const Grid: Story = {
  args: { view: 'grid' },
  play: async ({ canvasElement }) => {
    const element = await explorerIn(canvasElement);
    await waitFor(() => expect(part(element, 'grid-cell')).not.toBeNull(), MODEL_WORK);
    await expect(part(element, 'grid').getAttribute('width')).toBe(String(12 * 28));
  },
};

/** Draw a digit: its code lands on the map with its spread, beside its reconstruction. */
export const Drawing: Story = {
  args: { view: 'draw' },
  play: async ({ canvasElement }) => {
    const element = await explorerIn(canvasElement);
    await expect(part(element, 'drawing').tagName).toBe('GENVIZ-DRAWING-PAD');
    await expect(part(element, 'reconstruction').nextElementSibling!.textContent).toMatch(
      /Draw a digit/,
    );
  },
};

/** From a real 1 to a real 7, spherical: the strip of decoded images along the path. */
export const Interpolation: Story = {
  args: { view: 'interpolate', interpolation: 'spherical' },
  play: async ({ canvasElement }) => {
    const element = await explorerIn(canvasElement);
    await expect(part(element, 'strip').getAttribute('aria-label')).toMatch(/spherical path/);
    await expect(part(element, 'slider')).toBeTruthy();
  },
};

/** Codes from the prior, and a real digit beside its blurrier reconstruction. */
export const SampleAndBlur: Story = {
  args: { view: 'sample' },
  play: async ({ canvasElement }) => {
    const element = await explorerIn(canvasElement);
    await waitFor(() => expect(part(element, 'blur').textContent).toMatch(/Over 100/), MODEL_WORK);
  },
};

/** Diffusion as a flow: 256 points move from the prior into the clusters of their digits. */
export const Flow: Story = {
  args: { view: 'flow' },
  play: async ({ canvasElement }) => {
    const element = await explorerIn(canvasElement);
    await waitFor(() => expect(element.flowSteps).toHaveLength(50), MODEL_WORK);
    await expect(element.shadowRoot!.textContent).toMatch(/Point #0, asked to be a\s+0/);
  },
};

/** Themed in dark mode: page-wide tokens and the class colours. */
export const Themed: Story = {
  render: (args) =>
    html`<div
      style="color-scheme: dark; max-inline-size: 820px; --genviz-accent-color: #f59e0b;
        --genviz-latent-explorer-background: #0b1320; --genviz-class-0-color: #ffffff;"
    >
      <genviz-latent-explorer x=${args.x} y=${args.y}></genviz-latent-explorer>
    </div>`,
  play: async ({ canvasElement }) => {
    const element = await explorerIn(canvasElement);
    await expect(getComputedStyle(part(element, 'base')).backgroundColor).toBe('rgb(11, 19, 32)');
    await expect(
      getComputedStyle(element.shadowRoot!.querySelector('[aria-pressed="true"]')!).backgroundColor,
    ).toBe('rgb(245, 158, 11)');
  },
};

/** A runtime whose model never finishes loading: the loading state. */
class StalledRuntime extends GenvizRuntime {
  override load(
    model: string,
    options: Omit<ModelCallOptions, 'model'> = {},
  ): Promise<LoadedModel> {
    setTimeout(
      () =>
        options.onProgress?.({
          status: 'downloading',
          file: 'decoder.onnx',
          loaded: 100_000,
          total: 400_000,
          model,
          loadedBytes: 100_000,
          totalBytes: 400_000,
        }),
      50,
    );
    return new Promise<LoadedModel>(() => undefined);
  }
}

export const Loading: Story = {
  render: () =>
    html`<genviz-latent-explorer .runtime=${new StalledRuntime()}></genviz-latent-explorer>`,
  play: async ({ canvasElement }) => {
    const element = canvasElement.querySelector<GenvizLatentExplorer>('genviz-latent-explorer')!;
    await waitFor(() => expect(element.matches(':state(loading)')).toBe(true));
    await waitFor(() =>
      expect(element.shadowRoot!.textContent).toMatch(/Loading the model \(25%\)/),
    );
  },
};

/** A model URL that does not exist, and a grid size out of range. */
export const ErrorState: Story = {
  name: 'Error',
  render: () =>
    html`<genviz-latent-explorer
      model="/no-such-vae/manifest.json"
      grid-size="99"
    ></genviz-latent-explorer>`,
  play: async ({ canvasElement }) => {
    const element = canvasElement.querySelector<GenvizLatentExplorer>('genviz-latent-explorer')!;
    await element.updateComplete;
    await expect(part(element, 'message').textContent).toMatch(/grid-size must be/);
    element.gridSize = 8;
    await waitFor(() => expect(part(element, 'error')).not.toBeNull(), MODEL_WORK);
    await expect(part(element, 'error').textContent).toMatch(/no-such-vae/);
  },
};

/** 320 px wide: the map and the panels stack, nothing overflows. */
export const Narrow: Story = {
  render: (args) =>
    html`<div style="inline-size: 320px">
      <genviz-latent-explorer x=${args.x} y=${args.y}></genviz-latent-explorer>
    </div>`,
  play: async ({ canvasElement }) => {
    const element = await explorerIn(canvasElement);
    for (const view of ['map', 'grid', 'draw', 'interpolate', 'sample', 'flow'] as const) {
      element.view = view;
      await element.updateComplete;
      const base = part(element, 'base');
      await expect(base.scrollWidth).toBeLessThanOrEqual(base.clientWidth + 1);
    }
  },
};
