import { html } from 'lit';
import type { TemplateResult } from 'lit';
import { afterEach, describe, expect, test } from 'vitest';
import { userEvent } from 'vitest/browser';
import './define.js';
import type { GenvizLatentPad } from './latent-pad.js';
import { mount as mountElement, part as partOf, unmountAll } from '../testing/dom.js';
import { drag } from '../testing/strokes.js';

afterEach(unmountAll);

const mount = (template: TemplateResult) =>
  mountElement<GenvizLatentPad>(template, 'genviz-latent-pad', 200);
const part = (pad: GenvizLatentPad, name: string) => partOf(pad, name)!;

describe('<genviz-latent-pad>', () => {
  test('renders a pair of ARIA sliders for the current point', async () => {
    const pad = await mount(
      html`<genviz-latent-pad x="1" y="-2" label="VAE latent"></genviz-latent-pad>`,
    );
    const [horizontal, vertical] = pad.shadowRoot!.querySelectorAll('[role="slider"]');
    expect(horizontal!.getAttribute('aria-valuenow')).toBe('1');
    expect(vertical!.getAttribute('aria-valuenow')).toBe('-2');
    expect(horizontal!.getAttribute('aria-label')).toBe('VAE latent, horizontal axis');
  });

  test('moves with the arrow keys, firing input then change', async () => {
    const pad = await mount(html`<genviz-latent-pad step="0.5"></genviz-latent-pad>`);
    const events: string[] = [];
    pad.addEventListener('input', () => events.push(`input ${pad.x},${pad.y}`));
    pad.addEventListener('change', () => events.push('change'));
    part(pad, 'axis-x').focus();
    await userEvent.keyboard('{ArrowRight}{ArrowUp}{ArrowUp}');
    expect([pad.x, pad.y]).toEqual([0.5, 1]);
    expect(events).toEqual([
      'input 0.5,0',
      'change',
      'input 0.5,0.5',
      'change',
      'input 0.5,1',
      'change',
    ]);
  });

  test('jumps to the point under a click and stays within its range', async () => {
    const pad = await mount(html`<genviz-latent-pad min="-1" max="1"></genviz-latent-pad>`);
    const changes: Array<[number, number]> = [];
    pad.addEventListener('change', () => changes.push([pad.x, pad.y]));
    const surface = part(pad, 'surface');
    // Top-right quarter: x = 0.5, y = 0.5 in a [-1, 1] square.
    await userEvent.click(surface, { position: { x: 150, y: 50 } });
    expect(changes).toHaveLength(1);
    expect(changes[0]![0]).toBeCloseTo(0.5, 1);
    expect(changes[0]![1]).toBeCloseTo(0.5, 1);
    await pad.updateComplete;
    const handle = part(pad, 'handle');
    expect(handle.style.left).toMatch(/^7[45]/);
    part(pad, 'axis-x').focus();
    await userEvent.keyboard('{End}{End}');
    expect(pad.x).toBe(1);
  });

  test('a drag with the mouse moves the point: input while moving, change on release', async () => {
    const pad = await mount(html`<genviz-latent-pad min="-1" max="1"></genviz-latent-pad>`);
    const events: string[] = [];
    pad.addEventListener('input', () => events.push('input'));
    pad.addEventListener('change', () => events.push('change'));
    // From the centre to the bottom-left quarter's centre: (-0.5, -0.5).
    await drag(
      part(pad, 'surface'),
      Array.from({ length: 9 }, (_, i) => [0.5 - i * 0.03125, 0.5 + i * 0.03125] as const),
    );
    expect(pad.x).toBeCloseTo(-0.5, 1);
    expect(pad.y).toBeCloseTo(-0.5, 1);
    expect(events.filter((event) => event === 'input').length).toBeGreaterThanOrEqual(5);
    expect(events.at(-1)).toBe('change');
    expect(events.filter((event) => event === 'change')).toHaveLength(1);
  });
});
