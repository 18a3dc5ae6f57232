import type { Meta, StoryObj } from '@storybook/web-components-vite';
import { html } from 'lit';
import { expect, userEvent } from 'storybook/test';
import { part } from '../testing/dom.js';
import './define.js';
import type { GenvizLatentPad } from './latent-pad.js';

const meta: Meta = {
  title: 'Parts/Latent pad',
  component: 'genviz-latent-pad',
  tags: ['autodocs'],
  args: { x: 0, y: 0, min: -3, max: 3, step: 0.1, label: 'Latent point' },
  render: (args) =>
    html`<div style="max-inline-size: 280px">
      <genviz-latent-pad
        .x=${args.x}
        .y=${args.y}
        min=${args.min}
        max=${args.max}
        step=${args.step}
        label=${args.label}
      ></genviz-latent-pad>
    </div>`,
};
export default meta;

type Story = StoryObj;

export const Default: Story = {};

export const KeyboardOperable: Story = {
  args: { step: 0.5 },
  play: async ({ canvasElement }) => {
    const pad = canvasElement.querySelector<GenvizLatentPad>('genviz-latent-pad')!;
    await pad.updateComplete;
    part(pad, 'axis-x')!.focus();
    await userEvent.keyboard('{ArrowRight}{ArrowRight}{ArrowDown}');
    await expect(pad.x).toBe(1);
    await expect(pad.y).toBe(-0.5);
    const vertical = part(pad, 'axis-y')!;
    await expect(vertical.getAttribute('aria-valuenow')).toBe('-0.5');
  },
};

export const Narrow: Story = {
  render: () =>
    html`<div style="inline-size: 120px"><genviz-latent-pad x="2" y="2"></genviz-latent-pad></div>`,
};
