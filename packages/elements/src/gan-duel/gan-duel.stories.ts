import { GenvizRuntime } from '@genviz/runtime';
import type { LoadedModel, ModelCallOptions, ModelProgress } from '@genviz/runtime';
import type { Meta, StoryObj } from '@storybook/web-components-vite';
import { html } from 'lit';
import { expect, userEvent, waitFor } from 'storybook/test';
import { part as partOf, parts, MODEL_WORK } from '../testing/dom.js';
import './define.js';
import type { GenvizGanDuel } from './gan-duel.js';

interface Args {
  mode: 'duel' | 'detective' | 'counterfeiter' | 'matrix' | 'history' | 'collapse';
  run: 'healthy' | 'collapsed';
  seed: number;
  gridSize: number;
  digit: string;
  device: 'auto' | 'webgpu' | 'wasm';
}

const meta: Meta<Args> = {
  title: 'Elements/GAN duel',
  component: 'genviz-gan-duel',
  tags: ['autodocs'],
  args: { mode: 'duel', run: 'healthy', seed: 0, gridSize: 16, digit: 'none', device: 'auto' },
  argTypes: {
    mode: {
      control: 'inline-radio',
      options: ['duel', 'detective', 'counterfeiter', 'matrix', 'history', 'collapse'],
    },
    run: { control: 'inline-radio', options: ['healthy', 'collapsed'] },
    digit: {
      control: 'select',
      options: ['none', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    },
    gridSize: { control: { type: 'number', min: 2, max: 64 } },
    device: { control: 'inline-radio', options: ['auto', 'webgpu', 'wasm'] },
  },
  render: (args) =>
    html`<div style="max-inline-size: 860px">
      <genviz-gan-duel
        mode=${args.mode}
        run=${args.run}
        seed=${args.seed}
        grid-size=${args.gridSize}
        digit=${args.digit}
        device=${args.device}
      ></genviz-gan-duel>
    </div>`,
};
export default meta;

type Story = StoryObj<Args>;

const duelIn = async (canvasElement: HTMLElement) => {
  const element = canvasElement.querySelector<GenvizGanDuel>('genviz-gan-duel')!;
  await element.updateComplete;
  return element;
};
const part = (element: GenvizGanDuel, name: string) => partOf(element, name)!;
const roundShown = async (element: GenvizGanDuel) => {
  await waitFor(() => expect(element.round).toBeDefined(), MODEL_WORK);
  await element.updateComplete;
  return element.round!;
};

/**
 * The duel: eight real digits and eight fakes, shuffled, each with the discriminator's verdict.
 * It opens on detective and counterfeiter after one epoch, where the detective wins.
 */
export const Duel: Story = {
  play: async ({ canvasElement }) => {
    const element = await duelIn(canvasElement);
    const round = await roundShown(element);
    await expect(round.cells.filter((cell) => cell.real)).toHaveLength(8);
    await expect(parts(element, 'verdict')).toHaveLength(16);
    await expect(parts(element, 'verdict')[0]!.textContent).toMatch(/\d+(\.\d)?% real/);
    await userEvent.click(part(element, 'reveal-button'));
    await waitFor(() => expect(parts(element, 'truth')).toHaveLength(16), MODEL_WORK);
    await expect(part(element, 'score').textContent).toMatch(
      /The detective \(the discriminator after epoch 1\):\s*\d+ of 16/,
    );
    await waitFor(() => expect(part(element, 'winner').textContent).toMatch(/winning/), MODEL_WORK);
  },
};

/** Detective after epoch 1 against the counterfeiter one step later: the counterfeiter fools it. */
export const CounterfeiterAhead: Story = {
  render: () =>
    html`<genviz-gan-duel detective-snapshot="1" counterfeiter-snapshot="2"></genviz-gan-duel>`,
  play: async ({ canvasElement }) => {
    const element = await duelIn(canvasElement);
    await roundShown(element);
    await waitFor(
      () => expect(part(element, 'winner').textContent).toMatch(/the counterfeiter is winning/),
      MODEL_WORK,
    );
  },
};

/** The arms race: every detective against every counterfeiter, for both runs. */
export const ArmsRace: Story = {
  args: { mode: 'matrix' },
  play: async ({ canvasElement }) => {
    const element = await duelIn(canvasElement);
    await waitFor(() => expect(part(element, 'matrix-healthy').dataset.complete).toBe('true'), {
      timeout: 120_000,
    });
    const cells = parts(element, 'matrix-cell');
    await expect(cells[0]!.getAttribute('aria-label')).toMatch(
      /^detective epoch 0 against counterfeiter epoch 0: \d+(\.\d)?% right$/,
    );
  },
};

/** Play detective: mark what you think is real, then reveal; no verdicts before the reveal. */
export const Detective: Story = {
  args: { mode: 'detective', gridSize: 12, seed: 4 },
  play: async ({ canvasElement }) => {
    const element = await duelIn(canvasElement);
    await roundShown(element);
    await expect(parts(element, 'verdict')).toHaveLength(0);
    const cell = parts(element, 'cell')[0]!;
    await expect(cell.tagName).toBe('BUTTON');
    await userEvent.click(cell);
    await waitFor(() => expect(cell.getAttribute('aria-pressed')).toBe('true'), MODEL_WORK);
    await expect(cell.getAttribute('aria-label')).toMatch(/I say real/);
  },
};

/** Be the counterfeiter: a drawing pad, the round's best fake and a real digit. */
export const Counterfeiter: Story = {
  args: { mode: 'counterfeiter' },
  play: async ({ canvasElement }) => {
    const element = await duelIn(canvasElement);
    await roundShown(element);
    await expect(element.shadowRoot!.querySelector('genviz-drawing-pad')).not.toBeNull();
    await expect(part(element, 'your-verdict').textContent).toMatch(/Draw a digit first/);
    await waitFor(
      () => expect(parts(element, 'rival')[0]!.textContent).toMatch(/% real/),
      MODEL_WORK,
    );
  },
};

/** The training history at its first snapshot: the untrained generator's grey blobs, and the chart. */
export const History: Story = {
  render: () => html`<genviz-gan-duel mode="history" snapshot="0" seed="2"></genviz-gan-duel>`,
  play: async ({ canvasElement }) => {
    const element = await duelIn(canvasElement);
    await waitFor(() => expect(element.shownSnapshot?.index).toBe(0), MODEL_WORK);
    await expect((part(element, 'scrubber') as HTMLInputElement).value).toBe('0');
    await expect(part(element, 'readout').textContent).toMatch(/Epoch 0/);
    await expect(element.snapshots).toHaveLength(12);
  },
};

/** Mode collapse: the collapsed run's meter (one digit, near 0 bits) beside the healthy run's. */
export const Collapse: Story = {
  args: { mode: 'collapse', run: 'collapsed' },
  play: async ({ canvasElement }) => {
    const element = await duelIn(canvasElement);
    await waitFor(() => expect(element.meters).toHaveLength(2), MODEL_WORK);
    await element.updateComplete;
    const entropy = (name: string) => Number(part(element, name).dataset.entropy);
    await expect(entropy('meter-collapsed')).toBeLessThan(entropy('meter-healthy'));
    await expect(part(element, 'meter-healthy').textContent).toMatch(/3\.\d\d bits/);
  },
};

/** A steered digit: every fake is asked for a 7 through the generator's digit code. */
export const SteerTheDigit: Story = {
  args: { digit: '7' },
  play: async ({ canvasElement }) => {
    const element = await duelIn(canvasElement);
    await roundShown(element);
    await expect(part(element, 'code').textContent).toMatch(/entry 7 is now the largest/);
    await expect((part(element, 'digit') as HTMLSelectElement).value).toBe('7');
  },
};

/** A custom theme: page-wide and element tokens, and a part styled from outside. */
export const CustomTheme: Story = {
  render: () =>
    html`<style>
        .themed genviz-gan-duel::part(verdict) {
          font-weight: 700;
        }
      </style>
      <div
        class="themed"
        style="max-inline-size: 720px; --genviz-accent-color: #0f766e;
          --genviz-gan-duel-background: #fefce8; --genviz-gan-duel-radius: 0;"
      >
        <genviz-gan-duel grid-size="8"></genviz-gan-duel>
      </div>`,
  play: async ({ canvasElement }) => {
    const element = await duelIn(canvasElement);
    await roundShown(element);
    await expect(getComputedStyle(part(element, 'base')).backgroundColor).toBe(
      'rgb(254, 252, 232)',
    );
    await expect(getComputedStyle(part(element, 'reveal-button')).backgroundColor).toBe(
      'rgb(15, 118, 110)',
    );
    await expect(getComputedStyle(part(element, 'verdict')).fontWeight).toBe('700');
  },
};

/** Dark: the tokens' light-dark() defaults follow the page's colour scheme. */
export const Dark: Story = {
  render: () =>
    html`<div style="color-scheme: dark; max-inline-size: 720px">
      <genviz-gan-duel mode="history"></genviz-gan-duel>
    </div>`,
  play: async ({ canvasElement }) => {
    const element = await duelIn(canvasElement);
    await expect(getComputedStyle(part(element, 'base')).backgroundColor).toBe('rgb(22, 22, 29)');
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
      file: 'generator.onnx',
      loaded: 400_000,
      total: 1_000_000,
      model,
      loadedBytes: 400_000,
      totalBytes: 1_000_000,
    };
    setTimeout(() => options.onProgress?.(progress), 50);
    return new Promise<LoadedModel>(() => undefined);
  }
}

export const Loading: Story = {
  render: () => html`<genviz-gan-duel .runtime=${new StalledRuntime()}></genviz-gan-duel>`,
  play: async ({ canvasElement }) => {
    const element = await duelIn(canvasElement);
    await waitFor(() => expect(element.matches(':state(loading)')).toBe(true));
    await waitFor(() => expect(element.shadowRoot!.textContent).toMatch(/Loading the GAN \(40%\)/));
    await expect(part(element, 'progress')).not.toBeNull();
  },
};

/** A model URL that does not exist, and a grid size out of range. */
export const ErrorState: Story = {
  name: 'Error',
  render: () =>
    html`<genviz-gan-duel model="/no-such-gan/manifest.json" grid-size="100"></genviz-gan-duel>`,
  play: async ({ canvasElement }) => {
    const element = await duelIn(canvasElement);
    await expect(part(element, 'message').textContent).toMatch(/not 100/);
    element.gridSize = 8;
    await waitFor(() => expect(part(element, 'error')).not.toBeNull(), MODEL_WORK);
    await expect(part(element, 'error').textContent).toMatch(/no-such-gan/);
    await expect(element.matches(':state(error)')).toBe(true);
  },
};

/** 320 px wide: every view fits. */
export const Narrow: Story = {
  render: () =>
    html`<div style="inline-size: 320px">
      <genviz-gan-duel></genviz-gan-duel>
    </div>`,
  play: async ({ canvasElement }) => {
    const element = await duelIn(canvasElement);
    await roundShown(element);
    for (const mode of [
      'duel',
      'detective',
      'counterfeiter',
      'matrix',
      'history',
      'collapse',
    ] as const) {
      element.mode = mode;
      await element.updateComplete;
      const base = part(element, 'base');
      await expect(base.scrollWidth).toBeLessThanOrEqual(base.clientWidth + 1);
    }
  },
};
