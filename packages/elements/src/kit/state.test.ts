import { GenvizRuntime } from '@genviz/runtime';
import { html } from 'lit';
import { afterAll, afterEach, describe, expect, test, vi } from 'vitest';
import { userEvent } from 'vitest/browser';
import '../define.js';
import type { GenvizDiffusionStepper } from '../diffusion-stepper/diffusion-stepper.js';
import type { GenvizGanDuel } from '../gan-duel/gan-duel.js';
import type { GenvizLatentExplorer } from '../latent-explorer/latent-explorer.js';
import type { GenvizLatentPad } from '../latent-pad/latent-pad.js';
import { mount, once, part, pixels, unmountAll } from '../testing/dom.js';

// A state string restores what the reader saw, images included, on every element; a link with
// the state in its fragment opens on it; a string an element cannot read changes nothing.
// The default models in the runtime's worker, on WASM.

const runtime = new GenvizRuntime({ idleTimeoutMs: 120_000, device: 'wasm' });
afterAll(() => runtime.terminate());
afterEach(() => {
  unmountAll();
  history.replaceState(history.state, '', location.pathname + location.search);
});

/** Model work on a loaded 2-core machine: bounded by the work, not by a short clock. */
const MODEL_WORK = { timeout: 240_000, interval: 50 };

const canvasPixels = (element: Element, name: string) =>
  pixels(part(element, name) as HTMLCanvasElement);

async function explorerReady(element: GenvizLatentExplorer) {
  await vi.waitFor(() => expect(element.decoded).toBeDefined(), MODEL_WORK);
  await element.updateComplete;
}

describe('state strings', () => {
  // Every view and mode, with settings away from the defaults, lazily (no model work): the string
  // carries each setting, and an element given it reads back the same string.
  const cases = [
    ...['map', 'grid', 'interpolate', 'sample', 'draw', 'flow'].map(
      (view) =>
        html`<genviz-latent-explorer
          loading="lazy"
          view=${view}
          x="1.25"
          y="-0.5"
          seed="3"
          grid-size="8"
          extent="3"
          interpolation="spherical"
        ></genviz-latent-explorer>`,
    ),
    html`<genviz-gan-duel
      loading="lazy"
      detective-snapshot="2"
      counterfeiter-snapshot="1"
      seed="5"
    ></genviz-gan-duel>`,
    ...['duel', 'detective', 'counterfeiter', 'matrix', 'history', 'collapse'].map(
      (mode) =>
        html`<genviz-gan-duel
          loading="lazy"
          mode=${mode}
          run="collapsed"
          seed="11"
          digit="6"
          snapshot="3"
          grid-size="12"
        ></genviz-gan-duel>`,
    ),
    ...['forward', 'reverse', 'race', 'live'].map(
      (mode) =>
        html`<genviz-diffusion-stepper
          loading="lazy"
          mode=${mode}
          space="latent"
          scheduler="euler"
          steps="20"
          seed="8"
          digit="none"
          guidance="4.5"
          timestep="250"
          race-steps="200"
          noise-seed="17"
        ></genviz-diffusion-stepper>`,
    ),
  ];
  test.each(cases.map((template, i) => [i, template] as const))(
    'case %i round-trips through state',
    async (_, template) => {
      const first = await mount<HTMLElement & { state: string; updateComplete: Promise<boolean> }>(
        template,
        'genviz-latent-explorer, genviz-gan-duel, genviz-diffusion-stepper',
      );
      const saved = first.state;
      expect(saved.split(';').length).toBeGreaterThan(5);
      const tag = first.localName;
      const second = document.createElement(tag) as typeof first;
      second.setAttribute('loading', 'lazy');
      second.setAttribute('state', saved);
      document.body.append(second);
      try {
        await second.updateComplete;
        expect(second.state).toBe(saved);
        for (const attribute of first.getAttributeNames().filter((a) => a !== 'loading')) {
          const key = `;${attribute}=`;
          expect(saved).toContain(key);
        }
        expect(second.shadowRoot!.querySelector('[part~="message"]')).toBeNull();
      } finally {
        second.remove();
      }
    },
  );
});

describe('state', () => {
  test('the explorer: a moved point restores to the same decoded image', async () => {
    const first = await mount<GenvizLatentExplorer>(
      html`<genviz-latent-explorer .runtime=${runtime} seed="4"></genviz-latent-explorer>`,
      'genviz-latent-explorer',
    );
    await explorerReady(first);
    const changed = once(first, 'genviz-state');
    // The reader moves the point with the keyboard, on the pad's x axis slider.
    const pad = part(first, 'pad') as GenvizLatentPad;
    (part(pad, 'axis-x') as HTMLElement).focus();
    await userEvent.keyboard('{ArrowRight}{ArrowRight}{ArrowRight}');
    const { state } = await changed;
    await vi.waitFor(() => expect(first.state).toMatch(/;x=0\.\d+/), MODEL_WORK);
    await vi.waitFor(() => expect(first.decoded).toBeDefined(), MODEL_WORK);
    expect(state).toMatch(/^v1;view=map;x=/);
    const saved = first.state;
    // The exact decode of the point now shown (a move first paints a preview from the grid).
    const exactAt = (element: GenvizLatentExplorer) => {
      const shown = element.shownImage;
      expect(shown?.exact).toBe(true);
      expect(shown!.latent).toEqual([element.x, element.y]);
      return Array.from(element.decoded!);
    };
    const decoded = await vi.waitFor(() => exactAt(first), MODEL_WORK);

    const second = await mount<GenvizLatentExplorer>(
      html`<genviz-latent-explorer .runtime=${runtime} state=${saved}></genviz-latent-explorer>`,
      'genviz-latent-explorer',
    );
    await explorerReady(second);
    expect(second.x).toBe(first.x);
    expect(second.seed).toBe(4);
    expect(second.state).toBe(saved);
    expect(await vi.waitFor(() => exactAt(second), MODEL_WORK)).toEqual(decoded);
  });

  test('the duel: a round restores bit for bit', async () => {
    const first = await mount<GenvizGanDuel>(
      html`<genviz-gan-duel
        .runtime=${runtime}
        seed="7"
        digit="2"
        grid-size="8"
      ></genviz-gan-duel>`,
      'genviz-gan-duel',
    );
    await vi.waitFor(() => expect(first.round?.seed).toBe(7), MODEL_WORK);
    const saved = first.state;
    expect(saved).toBe(
      'v1;mode=duel;run=healthy;seed=7;digit=2;snapshot=;detective-snapshot=;counterfeiter-snapshot=;grid-size=8',
    );
    const images = first.round!.cells.map((cell) => Array.from(cell.image));

    const second = await mount<GenvizGanDuel>(
      html`<genviz-gan-duel .runtime=${runtime} state=${saved}></genviz-gan-duel>`,
      'genviz-gan-duel',
    );
    await vi.waitFor(() => expect(second.round?.seed).toBe(7), MODEL_WORK);
    expect(second.round!.cells.map((cell) => Array.from(cell.image))).toEqual(images);
    expect(second.state).toBe(saved);
  });

  test('the stepper: the forward process at a timestep restores to the same pixels', async () => {
    const first = await mount<GenvizDiffusionStepper>(
      html`<genviz-diffusion-stepper
        .runtime=${runtime}
        mode="forward"
        seed="5"
        timestep="400"
      ></genviz-diffusion-stepper>`,
      'genviz-diffusion-stepper',
    );
    await vi.waitFor(
      () => expect(part(first, 'readout')!.textContent).toMatch(/t = 400/),
      MODEL_WORK,
    );
    const saved = first.state;
    expect(saved).toMatch(/^v1;mode=forward;space=pixel;scheduler=ddim;steps=50;seed=5;digit=3;/);
    const image = canvasPixels(first, 'image');

    const second = await mount<GenvizDiffusionStepper>(
      html`<genviz-diffusion-stepper
        .runtime=${runtime}
        state=${saved}
      ></genviz-diffusion-stepper>`,
      'genviz-diffusion-stepper',
    );
    await vi.waitFor(
      () => expect(part(second, 'readout')!.textContent).toMatch(/t = 400/),
      MODEL_WORK,
    );
    await vi.waitFor(() => expect(canvasPixels(second, 'image')).toEqual(image), MODEL_WORK);
  });

  test('url-state: the fragment keeps each element state under its id, and a link opens on it', async () => {
    const first = await mount<GenvizGanDuel>(
      html`<genviz-gan-duel id="duel" url-state .runtime=${runtime}></genviz-gan-duel>`,
      'genviz-gan-duel',
    );
    await vi.waitFor(() => expect(first.round).toBeDefined(), MODEL_WORK);
    // The reader asks for a new round with the button: the seed changes, and so does the link.
    const changed = once(first, 'genviz-state');
    await userEvent.click(part(first, 'new-round-button')!);
    const { state } = await changed;
    expect(new URLSearchParams(location.hash.slice(1)).get('duel')).toBe(state);
    const link = location.hash;
    unmountAll();

    history.replaceState(history.state, '', link);
    const opened = await mount<GenvizGanDuel>(
      html`<genviz-gan-duel id="duel" url-state .runtime=${runtime}></genviz-gan-duel>`,
      'genviz-gan-duel',
    );
    expect(opened.state).toBe(state);
    await vi.waitFor(() => expect(opened.round?.seed).toBe(opened.seed), MODEL_WORK);
  });

  test('a string the element cannot read is refused with a message; the defaults stay', async () => {
    const element = await mount<GenvizDiffusionStepper>(
      html`<genviz-diffusion-stepper
        .runtime=${runtime}
        mode="forward"
        loading="lazy"
      ></genviz-diffusion-stepper>`,
      'genviz-diffusion-stepper',
    );
    const defaults = element.state;
    const errors: string[] = [];
    element.addEventListener('genviz-error', (event) => errors.push(event.message));
    for (const [bad, why] of [
      ['v9;mode=reverse', /another version \(v9/],
      ['mode=reverse', /does not start with v1/],
      ['v1;mode=reverse;colour=red', /"colour" is not part of this element's state/],
      ['v1;seed=%E0%A4%A', /not valid URI encoding/],
    ] as const) {
      element.state = bad;
      await element.updateComplete;
      expect(part(element, 'message')!.textContent).toMatch(why);
      expect(element.state).toBe(defaults);
    }
    await vi.waitFor(() => expect(errors).toHaveLength(4));
    // A readable one clears the message.
    element.state = defaults.replace('seed=0', 'seed=9');
    await element.updateComplete;
    expect(element.seed).toBe(9);
    expect(part(element, 'message')).toBeNull();
  });
});

describe('pictures', () => {
  test('the Save picture button saves a PNG of the images at whole-pixel scale, named after them', async () => {
    const element = await mount<GenvizDiffusionStepper>(
      html`<genviz-diffusion-stepper
        .runtime=${runtime}
        mode="forward"
        seed="5"
        timestep="300"
      ></genviz-diffusion-stepper>`,
      'genviz-diffusion-stepper',
    );
    await vi.waitFor(
      () => expect(part(element, 'readout')!.textContent).toMatch(/t = 300/),
      MODEL_WORK,
    );
    const source = part(element, 'image') as HTMLCanvasElement;
    const saved = once(element, 'genviz-save');
    await userEvent.click(part(element, 'save-button')!);
    const { blob, fileName } = await saved;
    expect(fileName).toBe('genviz-diffusion-stepper-mnist-ddpm-forward-seed-5-t-300.png');
    expect(blob.type).toBe('image/png');

    // Decoded, the first tile is the image canvas scaled by a whole factor: each model pixel a
    // square of one grey level, equal to the element's pixel.
    const bitmap = await createImageBitmap(blob);
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const context = canvas.getContext('2d')!;
    context.drawImage(bitmap, 0, 0);
    const scale = Math.ceil(224 / source.width);
    const png = context.getImageData(8, 8, source.width * scale, source.height * scale);
    const expected = pixels(source);
    for (let y = 0; y < source.height; y++) {
      for (let x = 0; x < source.width; x++) {
        for (const [dx, dy] of [
          [0, 0],
          [scale - 1, scale - 1],
        ] as const) {
          const at = ((y * scale + dy) * png.width + x * scale + dx) * 4;
          expect(png.data[at]).toBe(expected[y * source.width + x]);
        }
      }
    }
    expect(bitmap.height).toBeGreaterThan(source.height * scale + 16); // the caption below
  });

  test('savePicture() refuses while there is no image yet', async () => {
    const element = await mount<GenvizGanDuel>(
      html`<genviz-gan-duel loading="lazy"></genviz-gan-duel>`,
      'genviz-gan-duel',
    );
    await expect(element.savePicture()).rejects.toThrow(/no image to save yet/);
  });
});
