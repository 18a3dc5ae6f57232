import type { Meta, StoryObj } from '@storybook/web-components-vite';
import { html } from 'lit';
import { expect } from 'storybook/test';
import { part } from '../testing/dom.js';
import './define.js';
import type { GenvizDrawingPad } from './drawing-pad.js';

const meta: Meta = {
  title: 'Parts/Drawing pad',
  component: 'genviz-drawing-pad',
  tags: ['autodocs'],
  render: () =>
    html`<div style="max-inline-size: 240px"><genviz-drawing-pad></genviz-drawing-pad></div>`,
};
export default meta;

type Story = StoryObj;

/** An empty pad: a black square to draw on, and its Clear button. */
export const Empty: Story = {
  play: async ({ canvasElement }) => {
    const pad = canvasElement.querySelector<GenvizDrawingPad>('genviz-drawing-pad')!;
    await pad.updateComplete;
    await expect(pad.empty).toBe(true);
    await expect(part(pad, 'clear-button')!.textContent!.trim()).toBe('Clear');
  },
};

/** 160 px wide: the square shrinks with its container. */
export const Narrow: Story = {
  render: () =>
    html`<div style="inline-size: 160px"><genviz-drawing-pad></genviz-drawing-pad></div>`,
  play: async ({ canvasElement }) => {
    const pad = canvasElement.querySelector<GenvizDrawingPad>('genviz-drawing-pad')!;
    await pad.updateComplete;
    await expect(part(pad, 'surface')!.getBoundingClientRect().width).toBeLessThanOrEqual(160);
  },
};
