import { GenvizRuntime } from '@genviz/runtime';
import { html } from 'lit';
import type { TemplateResult } from 'lit';
import { afterAll, afterEach, describe, expect, test, vi } from 'vitest';
import { commands, userEvent } from 'vitest/browser';
import type { GenvizDrawingPad } from '../drawing-pad/drawing-pad.js';
import { digitImage } from '../kit/digits.js';
import type { GenvizLatentPad } from '../latent-pad/latent-pad.js';
import {
  announcement,
  inState,
  mount as mountElement,
  part,
  parts,
  pixels,
  unmountAll,
  MODEL_WORK,
} from '../testing/dom.js';
import { drag, hover, traceDigit } from '../testing/strokes.js';
import './define.js';
import type { GenvizErrorEvent } from '../kit/events.js';
import type { GenvizFrameEvent, GenvizLatentEvent } from './events.js';
import type { GenvizLatentExplorer, ShownImage } from './latent-explorer.js';
import '../testing/node-commands.js';

// The default mnist-vae and classifier in the runtime's worker, on WASM.

const runtime = new GenvizRuntime({ idleTimeoutMs: 120_000, device: 'wasm' });
afterAll(() => runtime.terminate());
afterEach(unmountAll);

const mount = (template: TemplateResult, width = 720) =>
  mountElement<GenvizLatentExplorer>(template, 'genviz-latent-explorer', width);

const pad = (element: GenvizLatentExplorer) => part(element, 'pad') as GenvizLatentPad;

async function ready(element: GenvizLatentExplorer) {
  await vi.waitFor(() => {
    expect(element.decoded).toBeDefined();
    expect(element.nearestClass).not.toBeNull();
  }, MODEL_WORK);
  await element.updateComplete;
}

/** Where latent (x, y) is on the map, in client px. */
function pointAt(element: GenvizLatentExplorer, x: number, y: number) {
  const box = part(pad(element), 'surface')!.getBoundingClientRect();
  const span = 2 * element.extent;
  return {
    clientX: box.left + ((x + element.extent) / span) * box.width,
    clientY: box.top + ((element.extent - y) / span) * box.height,
  };
}

/** Where latent (x, y) is on the map, as fractions of its surface (for the mouse helpers). */
const at = (element: GenvizLatentExplorer, x: number, y: number) =>
  [
    (x + element.extent) / (2 * element.extent),
    (element.extent - y) / (2 * element.extent),
  ] as const;

describe('<genviz-latent-explorer> map', () => {
  test('dragging decodes live: the image follows the handle, input then change', async () => {
    const element = await mount(
      html`<genviz-latent-explorer .runtime=${runtime}></genviz-latent-explorer>`,
    );
    await ready(element);
    const before = pixels(part(element, 'decoded') as HTMLCanvasElement);
    const events: GenvizLatentEvent[] = [];
    element.addEventListener('input', (event) => events.push(event as GenvizLatentEvent));
    element.addEventListener('change', (event) => events.push(event as GenvizLatentEvent));
    // The browser's own mouse, pressed at (0.5, 0.5) and dragged to (2.5, -2).
    await drag(
      part(pad(element), 'surface')!,
      Array.from({ length: 11 }, (_, i) => at(element, 0.5 + i * 0.2, 0.5 - i * 0.25)),
    );
    expect(element.x).toBeCloseTo(2.5, 1);
    expect(element.y).toBeCloseTo(-2, 1);
    expect(events.at(-1)!.type).toBe('change');
    expect(events.filter((event) => event.type === 'input').length).toBeGreaterThanOrEqual(10);
    expect(events.at(-1)!.latent[0]).toBeCloseTo(2.5, 1);
    expect(events.at(-1)!.nearestClass).toBe(element.nearestClass);
    // The last image painted is the decoder's output at the final point.
    const expected = await runtime.vae.decode(Float32Array.of(element.x, element.y));
    await vi.waitFor(() => {
      const shown = pixels(part(element, 'decoded') as HTMLCanvasElement);
      expect(shown).not.toEqual(before);
      const worst = Math.max(...shown.map((value, i) => Math.abs(value - expected[i]! * 255)));
      expect(worst).toBeLessThanOrEqual(2);
    }, MODEL_WORK);
  });

  test('a real mouse drag paints a preview in the frame of each pointer event, then the exact decode', async () => {
    const element = await mount(
      html`<genviz-latent-explorer .runtime=${runtime}></genviz-latent-explorer>`,
    );
    await ready(element);
    await vi.waitFor(() => expect(element.previewReady).toBe(true), MODEL_WORK);
    const canvas = part(element, 'decoded') as HTMLCanvasElement;
    const before = pixels(canvas);
    // Read in the task of each pointer event, after the pad handled it (window, bubbling):
    // what the canvas shows before the frame that delivered the event is rendered.
    const seen: {
      type: string;
      x: number;
      y: number;
      shown?: ShownImage;
      shownPixels: number[];
    }[] = [];
    const onPointer = (event: PointerEvent) => {
      if (event.buttons !== 1) return;
      seen.push({
        type: event.type,
        x: element.x,
        y: element.y,
        shown: element.shownImage,
        shownPixels: pixels(canvas),
      });
    };
    window.addEventListener('pointerdown', onPointer);
    window.addEventListener('pointermove', onPointer);
    const frames: GenvizFrameEvent[] = [];
    element.addEventListener('genviz-frame', (event) => frames.push(event));
    try {
      // Press far from the handle (at about (-2.4, 2.4)), then drag towards the centre.
      const path = Array.from({ length: 8 }, (_, i) => {
        const at = pointAt(element, -2.4 + 0.3 * i, 2.4 - 0.35 * i);
        return [at.clientX, at.clientY] as [number, number];
      });
      await commands.mousePath(path, { press: true });
    } finally {
      window.removeEventListener('pointerdown', onPointer);
      window.removeEventListener('pointermove', onPointer);
    }
    expect(seen[0]!.type).toBe('pointerdown');
    expect(seen.filter((entry) => entry.type === 'pointermove').length).toBeGreaterThanOrEqual(3);
    for (const entry of seen) {
      // The point of this very event, and not yet the exact decode (that needs the worker).
      expect(entry.shown).toEqual({ latent: [entry.x, entry.y], exact: false });
    }
    // The preview looks like the decoder's output at the point: nearer to it than the image
    // before the jump was.
    const first = seen[0]!;
    const exactAtFirst = await runtime.vae.decode(Float32Array.of(first.x, first.y));
    const meanError = (shown: number[]) =>
      shown.reduce((sum, value, i) => sum + Math.abs(value - exactAtFirst[i]! * 255), 0) /
      shown.length;
    expect(meanError(first.shownPixels)).toBeLessThan(12);
    expect(meanError(first.shownPixels)).toBeLessThan(meanError(before) / 2);
    // Then the exact decode of where the drag ended replaces the preview.
    const expected = await runtime.vae.decode(Float32Array.of(element.x, element.y));
    await vi.waitFor(() => {
      expect(element.shownImage).toEqual({ latent: [element.x, element.y], exact: true });
      const shown = pixels(canvas);
      const worst = Math.max(...shown.map((value, i) => Math.abs(value - expected[i]! * 255)));
      expect(worst).toBeLessThanOrEqual(2);
      expect(frames.at(-1)).toMatchObject({ exact: true, latent: [element.x, element.y] });
    }, MODEL_WORK);
    expect(frames.some((frame) => !frame.exact)).toBe(true);
  });

  test('the keyboard moves the handle and says where it is', async () => {
    const element = await mount(
      html`<genviz-latent-explorer .runtime=${runtime}></genviz-latent-explorer>`,
    );
    await ready(element);
    part(pad(element), 'axis-x')!.focus();
    await userEvent.keyboard('{ArrowRight}');
    expect(element.x).toBeCloseTo(0.1, 5);
    await userEvent.keyboard('{Shift>}{ArrowUp}{/Shift}');
    expect(element.y).toBeCloseTo(1, 5);
    await element.updateComplete;
    await pad(element).updateComplete;
    const text = part(pad(element), 'axis-x')!.getAttribute('aria-valuetext')!;
    expect(text).toMatch(/^z = \(0\.1, 1\.0\), looks like a \d$/);
    expect(announcement(element)).toBe(text);
    await userEvent.keyboard('{Home}');
    expect([element.x, element.y]).toEqual([0, 0]);
    // "an 8", not "a 8": the handle on a held-out 8.
    const { mean, labels } = await runtime.vae.heldOutLatents();
    const eight = labels.findIndex(
      (label, i) =>
        label === 8 &&
        (element.x = mean[2 * i]!) !== undefined &&
        (element.y = mean[2 * i + 1]!) !== undefined &&
        element.nearestClass === 8,
    );
    expect(eight).toBeGreaterThanOrEqual(0);
    await element.updateComplete;
    await pad(element).updateComplete;
    expect(part(pad(element), 'axis-x')!.getAttribute('aria-valuetext')).toMatch(
      /looks like an 8$/,
    );
  });

  test('hovering a dot shows that real digit', async () => {
    const element = await mount(
      html`<genviz-latent-explorer .runtime=${runtime}></genviz-latent-explorer>`,
    );
    await ready(element);
    const { mean, labels } = await runtime.vae.heldOutLatents();
    await hover(part(pad(element), 'surface')!, ...at(element, mean[0]!, mean[1]!));
    await vi.waitFor(() => expect(part(element, 'hovered')).not.toBeNull());
    expect(element.shadowRoot!.textContent).toMatch(new RegExp(`A real ${labels[0]}`));
  });

  test('a bad model URL shows the error state', async () => {
    const element = await mount(
      html`<genviz-latent-explorer
        .runtime=${runtime}
        model="/no-such-vae/manifest.json"
      ></genviz-latent-explorer>`,
    );
    await vi.waitFor(() => expect(part(element, 'error')).not.toBeNull(), MODEL_WORK);
    expect(part(element, 'error')!.textContent).toMatch(/no-such-vae/);
    expect(inState(element, 'error')).toBe(true);
  });
});

describe('<genviz-latent-explorer> settings and failures (issue 24)', () => {
  test('a NaN or far-off x is rejected and quoted as set, not as the stale attribute', async () => {
    const element = await mount(
      html`<genviz-latent-explorer .runtime=${runtime} x="1"></genviz-latent-explorer>`,
    );
    element.x = Number.NaN;
    await element.updateComplete;
    expect(part(element, 'message')!.textContent).toMatch(/x must be a number .*, not NaN\./);
    expect(part(element, 'message')!.textContent).not.toMatch(/"1"/);
    element.x = 1e9;
    await element.updateComplete;
    expect(part(element, 'message')!.textContent).toMatch(
      /x must be a number from -100 to 100, not 1000000000\./,
    );
    element.x = 2;
    await element.updateComplete;
    expect(part(element, 'message')).toBeNull();
  });

  test('the flow view with a rejected seed says so instead of throwing', async () => {
    const element = await mount(
      html`<genviz-latent-explorer .runtime=${runtime}></genviz-latent-explorer>`,
    );
    await ready(element);
    element.view = 'flow';
    element.seed = -1;
    await element.updateComplete;
    expect(part(element, 'message')!.textContent).toMatch(/seed must be a whole number/);
    expect(inState(element, 'error')).toBe(true);
  });

  test('one failed model load is one genviz-error; Try again fails again and says so again', async () => {
    const errors: GenvizErrorEvent[] = [];
    const element = await mount(
      html`<genviz-latent-explorer
        .runtime=${runtime}
        model="/no-such-vae/manifest.json"
        @genviz-error=${(event: GenvizErrorEvent) => errors.push(event)}
      ></genviz-latent-explorer>`,
    );
    await vi.waitFor(() => expect(part(element, 'error')).not.toBeNull(), MODEL_WORK);
    // Every run that waited on the load (the model, the map's data, the first decode) has
    // failed once the same load, asked again, has.
    await vi.waitFor(() => expect(inState(element, 'loading')).toBe(false), MODEL_WORK);
    await runtime.load('/no-such-vae/manifest.json').catch(() => undefined);
    await runtime.vae
      .decode(Float32Array.of(0, 0), { model: '/no-such-vae/manifest.json' })
      .catch(() => undefined);
    await element.updateComplete;
    expect(errors.map((event) => event.message)).toHaveLength(1);
    await userEvent.click(part(element, 'retry-button')!);
    await vi.waitFor(() => expect(errors).toHaveLength(2), MODEL_WORK);
    await runtime.vae
      .decode(Float32Array.of(0, 0), { model: '/no-such-vae/manifest.json' })
      .catch(() => undefined);
    await element.updateComplete;
    expect(errors).toHaveLength(2);
  });

  test('after a bad model URL, removing the attribute goes back to the default model', async () => {
    const element = await mount(
      html`<genviz-latent-explorer
        .runtime=${runtime}
        model="/no-such-vae/manifest.json"
      ></genviz-latent-explorer>`,
    );
    await vi.waitFor(() => expect(part(element, 'error')).not.toBeNull(), MODEL_WORK);
    element.removeAttribute('model');
    expect(element.model).toBe('mnist-vae');
    // It loads the default model at once (no Try again needed), never a ".../null".
    await ready(element);
    expect(part(element, 'error')).toBeNull();
  });
});

describe('<genviz-latent-explorer> loading', () => {
  test('loading="lazy" opens nothing until it nears the viewport, then only the decoder; drawing opens the encoder', async () => {
    // Its own runtime, so that its worker's session count is this element's alone.
    const own = new GenvizRuntime({ device: 'wasm' });
    try {
      const element = await mount(
        html`<div style="block-size: 6000px"></div>
          <genviz-latent-explorer loading="lazy" .runtime=${own}></genviz-latent-explorer>`,
      );
      expect(element.loading).toBe('lazy');
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(element.decoded).toBeUndefined();
      expect(element.nearestClass).toBeNull();
      expect((await own.stats()).sessionsCreated).toBe(0);
      element.scrollIntoView();
      await ready(element);
      expect((await own.stats()).sessionsCreated).toBe(1);
      element.view = 'draw';
      await vi.waitFor(async () => expect((await own.stats()).sessionsCreated).toBe(3), MODEL_WORK);
    } finally {
      own.terminate();
    }
  });

  test('an eager element (the default) loads at once, wherever it is on the page', async () => {
    const own = new GenvizRuntime({ device: 'wasm' });
    try {
      const element = await mount(
        html`<div style="block-size: 6000px"></div>
          <genviz-latent-explorer loading="soon" .runtime=${own}></genviz-latent-explorer>`,
      );
      // As for <img loading>, a value other than "lazy" means eager.
      expect(element.loading).toBe('eager');
      await ready(element);
    } finally {
      own.terminate();
    }
  });
});

describe('<genviz-latent-explorer> views', () => {
  test('the view buttons switch views with a click', async () => {
    const element = await mount(
      html`<genviz-latent-explorer .runtime=${runtime}></genviz-latent-explorer>`,
    );
    await ready(element);
    const button = (label: RegExp) =>
      parts(element, 'view-button').find((candidate) => label.test(candidate.textContent!))!;
    await userEvent.click(button(/Grid/));
    expect(element.view).toBe('grid');
    await userEvent.click(button(/Draw your own/));
    expect(element.view).toBe('draw');
    expect(button(/Draw your own/).getAttribute('aria-pressed')).toBe('true');
  });

  test('the grid is the decoder at each cell, decoded in one call', async () => {
    const element = await mount(
      html`<genviz-latent-explorer
        .runtime=${runtime}
        view="grid"
        grid-size="4"
        extent="3"
      ></genviz-latent-explorer>`,
    );
    await ready(element);
    const canvas = () => part(element, 'grid') as HTMLCanvasElement;
    await vi.waitFor(
      () => expect(pixels(canvas()).some((value) => value > 0)).toBe(true),
      MODEL_WORK,
    );
    const grid = pixels(canvas());
    // Cell (row 1, column 2): x = -3 + 2 * 2 = 1, y = 3 - 1 * 2 = 1.
    const single = await runtime.vae.decode(Float32Array.of(1, 1));
    let worst = 0;
    for (let p = 0; p < 784; p++) {
      const shown = grid[(28 + Math.floor(p / 28)) * 112 + 56 + (p % 28)]!;
      worst = Math.max(worst, Math.abs(shown - single[p]! * 255));
    }
    expect(worst).toBeLessThanOrEqual(2);
    expect(part(element, 'grid-cell')).not.toBeNull();
  });

  test('a drawn digit lands near its class, with its spread and readings', async () => {
    const element = await mount(
      // A 280 px pad: ten CSS px per MNIST pixel, so the mouse traces each pixel's centre
      // exactly (a 2-D VAE's 7 and 9 overlap, and a one-pixel shift moves a code across).
      html`<genviz-latent-explorer
        .runtime=${runtime}
        view="draw"
        style="--genviz-drawing-pad-size: 280px"
      ></genviz-latent-explorer>`,
      900,
    );
    await ready(element);
    const { mean, labels } = await runtime.vae.heldOutLatents();
    const centroid = (label: number) => {
      let x = 0;
      let y = 0;
      let n = 0;
      labels.forEach((value, i) => {
        if (value !== label) return;
        x += mean[2 * i]!;
        y += mean[2 * i + 1]!;
        n += 1;
      });
      return [x / n, y / n] as const;
    };
    const digits = await runtime.data.heldOutDigits();
    const drawingPad = part(element, 'drawing') as GenvizDrawingPad;
    await drawingPad.updateComplete;
    expect(part(drawingPad, 'surface')!.getBoundingClientRect().width).toBe(280);
    // A 2-D VAE's clusters overlap at their edges: draw, for each class, the held-out digit
    // whose own code is nearest its class's centre, as a reader drawing a typical digit would.
    const typical = (label: number) => {
      const [cx, cy] = centroid(label);
      let best = -1;
      labels.forEach((value, i) => {
        if (value !== label) return;
        const d = Math.hypot(mean[2 * i]! - cx, mean[2 * i + 1]! - cy);
        if (best < 0 || d < Math.hypot(mean[2 * best]! - cx, mean[2 * best + 1]! - cy)) best = i;
      });
      return best;
    };
    for (const label of [0, 1, 7]) {
      await userEvent.click(part(drawingPad, 'clear-button')!);
      // Nothing drawn, nothing encoded: the element asks for a drawing.
      await vi.waitFor(() =>
        expect(part(element, 'reconstruction')!.nextElementSibling?.textContent).toMatch(
          /Draw a digit/,
        ),
      );
      const real = digitImage(digits, typical(label), 'unit');
      await traceDigit(part(drawingPad, 'surface')!, real.image);
      const drawn = drawingPad.value;
      // Every stroke's end is encoded; wait for the encoding of the whole drawing.
      await vi.waitFor(() => {
        const shown = element.shadowRoot!.querySelector<HTMLElement>('.draw')!;
        expect(shown.textContent).toMatch(/z = /);
        expect(Array.from(element.encodedDrawing?.drawing ?? [])).toEqual(Array.from(drawn));
      }, MODEL_WORK);
      // The reading waits on the classifier's first load, which a busy CI machine can take seconds over.
      await vi.waitFor(
        () => expect(element.shadowRoot!.textContent).toMatch(/reads as/),
        MODEL_WORK,
      );
      // Its code is among that class's held-out digits: the handle moved there says so.
      const go = [...part(element, 'reconstruction')!.parentElement!.querySelectorAll('button')].at(
        -1,
      )!;
      await userEvent.click(go);
      expect(element.nearestClass, `a drawn ${label} at (${element.x}, ${element.y})`).toBe(label);
      const [cx, cy] = centroid(label);
      expect(Math.hypot(cx - element.x, cy - element.y)).toBeLessThan(2);
    }
  });

  test('interpolation decodes a strip, and its slider walks the handle from A to B', async () => {
    const element = await mount(
      html`<genviz-latent-explorer
        .runtime=${runtime}
        view="interpolate"
      ></genviz-latent-explorer>`,
    );
    await ready(element);
    const strip = () => part(element, 'strip') as HTMLCanvasElement;
    await vi.waitFor(
      () => expect(pixels(strip()).some((value) => value > 0)).toBe(true),
      MODEL_WORK,
    );
    const slider = part(element, 'slider') as HTMLInputElement;
    // The keyboard on the native slider: End goes to B.
    slider.focus();
    await userEvent.keyboard('{End}');
    const { mean, labels } = await runtime.vae.heldOutLatents();
    const seven = labels.indexOf(7);
    expect(element.x).toBeCloseTo(mean[2 * seven]!, 4);
    expect(element.y).toBeCloseTo(mean[2 * seven + 1]!, 4);
  });

  test('the handle can be pinned as either end: two points of your choice', async () => {
    const element = await mount(
      html`<genviz-latent-explorer
        .runtime=${runtime}
        view="interpolate"
        x="1"
        y="1"
      ></genviz-latent-explorer>`,
    );
    await ready(element);
    const [from, to] = [
      ...element.shadowRoot!.querySelectorAll<HTMLSelectElement>('.interpolate select'),
    ];
    await userEvent.selectOptions(from!, 'handle');
    element.x = -1;
    element.y = -1.5;
    await element.updateComplete;
    await userEvent.selectOptions(to!, 'handle');
    await element.updateComplete;
    const slider = part(element, 'slider') as HTMLInputElement;
    slider.focus();
    for (const [key, x, y] of [
      ['{End}', -1, -1.5],
      ['{Home}', 1, 1],
    ] as const) {
      await userEvent.keyboard(key);
      expect(element.x).toBeCloseTo(x, 5);
      expect(element.y).toBeCloseTo(y, 5);
    }
  });

  test('samples from the prior, and reconstructions measure blurrier than real digits', async () => {
    const element = await mount(
      html`<genviz-latent-explorer .runtime=${runtime} view="sample"></genviz-latent-explorer>`,
    );
    await ready(element);
    await vi.waitFor(
      () => expect(part(element, 'blur')!.textContent).toMatch(/Over 100\s+images/),
      MODEL_WORK,
    );
    const [real, reconstructed] = [
      ...part(element, 'blur')!.querySelectorAll('[data-sharpness]'),
    ].map((node) => Number(node.getAttribute('data-sharpness')));
    expect(reconstructed!).toBeLessThan(real!);
    await vi.waitFor(
      () => expect(part(element, 'strip')!.nextElementSibling!.textContent).toMatch(/of 16/),
      MODEL_WORK,
    );
  });

  test('the flow moves 256 points from the prior into the clusters of their asked digits', async () => {
    const element = await mount(
      html`<genviz-latent-explorer
        .runtime=${runtime}
        view="flow"
        seed="2"
      ></genviz-latent-explorer>`,
    );
    await ready(element);
    // The flow shows its followed point, not the map's image at the handle.
    expect(part(element, 'decoded')).toBeNull();
    expect(part(element, 'readout')).toBeNull();
    await vi.waitFor(() => expect(element.flowSteps).toHaveLength(50), MODEL_WORK);
    await vi.waitFor(
      () => expect(announcement(element)).toMatch(/flow is done: 256 points/),
      MODEL_WORK,
    );
    const { mean, labels: held } = await runtime.vae.heldOutLatents();
    const agreement = (xy: Float32Array) => {
      let agree = 0;
      for (let p = 0; p < 256; p++) {
        const near = Array.from(held, (label, i) => ({
          label,
          d: (mean[2 * i]! - xy[2 * p]!) ** 2 + (mean[2 * i + 1]! - xy[2 * p + 1]!) ** 2,
        }))
          .sort((a, b) => a.d - b.d)
          .slice(0, 10);
        const votes = new Array<number>(10).fill(0);
        for (const { label } of near) votes[label]! += 1;
        if (votes.indexOf(Math.max(...votes)) === element.flowLabels[p]) agree += 1;
      }
      return agree / 256;
    };
    const first = agreement(element.flowSteps[0]!.sample);
    const last = agreement(element.flowSteps.at(-1)!.sample);
    expect(last).toBeGreaterThan(0.7);
    expect(last).toBeGreaterThan(first + 0.2);
    // The reader picks another point to follow by typing its number.
    const follow = element.shadowRoot!.querySelector<HTMLInputElement>(
      '.flow input[type="number"]',
    )!;
    await userEvent.fill(follow, '7');
    await userEvent.keyboard('{Tab}');
    await element.updateComplete;
    expect(part(element, 'followed')!.nextElementSibling!.textContent).toMatch(/Point #7, asked/);
    // The followed point's code is decoded at the step shown.
    await vi.waitFor(
      () =>
        expect(pixels(part(element, 'followed') as HTMLCanvasElement).some((v) => v > 100)).toBe(
          true,
        ),
      MODEL_WORK,
    );
  });
});
