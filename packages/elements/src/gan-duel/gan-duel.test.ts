import { GenvizRuntime } from '@genviz/runtime';
import type { ModelManifest } from '@genviz/runtime';
import { html } from 'lit';
import type { TemplateResult } from 'lit';
import { afterAll, afterEach, describe, expect, test, vi } from 'vitest';
import { commands, userEvent } from 'vitest/browser';
import type { GenvizDrawingPad } from '../drawing-pad/drawing-pad.js';
import { PIXELS, digitImage } from '../kit/digits.js';
import { seededLatents } from '../kit/random.js';
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
import type {} from '../testing/node-commands.js';
import { traceDigit } from '../testing/strokes.js';
import './define.js';
import type {
  GenvizErrorEvent,
  GenvizMatrixEvent,
  GenvizPairingEvent,
  GenvizRoundEvent,
  GenvizSnapshotEvent,
  GenvizVerdictEvent,
} from './events.js';
import { matrixInputs } from './matrix.js';
import type { GenvizGanDuel } from './gan-duel.js';

// Against the real default models (@genviz/models) in the runtime's worker, on WASM; verdicts
// and images are checked against onnxruntime-node on the same files and inputs.

const runtime = new GenvizRuntime({ idleTimeoutMs: 120_000, device: 'wasm' });
afterAll(() => runtime.terminate());
afterEach(() => {
  unmountAll();
  vi.restoreAllMocks();
});

const TOLERANCE = 1e-4;
const mount = (template: TemplateResult, width = 720) =>
  mountElement<GenvizGanDuel>(template, 'genviz-gan-duel', width);
const roundOf = async (element: GenvizGanDuel) => {
  await vi.waitFor(() => expect(element.round).toBeDefined(), MODEL_WORK);
  await element.updateComplete;
  return element.round!;
};
const sigmoid = (logit: number) => 1 / (1 + Math.exp(-logit));

/** The fp32 files of the element's pairing: its counterfeiter's generator, its detective's discriminator. */
async function pairingFiles(element: GenvizGanDuel, model = 'mnist-dcgan') {
  const manifest = (await commands.readDefaultManifest(model)) as ModelManifest;
  const { detective, counterfeiter } = element.pairing;
  const at = (index: number | undefined) =>
    manifest.snapshots!.find((snapshot) => snapshot.index === index);
  return {
    manifest,
    generator: at(counterfeiter)?.variants[0]!.file ?? 'generator.onnx',
    discriminator: at(detective)?.discriminatorVariants![0]!.file ?? 'discriminator.onnx',
  };
}

async function nodeVerdicts(
  model: string,
  images: Float32Array,
  file = 'discriminator.onnx',
): Promise<number[]> {
  const count = images.length / PIXELS;
  const output = await commands.ortNodeRun(model, file, {
    image: { dtype: 'float32', dims: [count, 1, 28, 28], data: Array.from(images) },
  });
  return output.logit!.data.map(sigmoid);
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string) {
  expect(actual.length, what).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    expect(Math.abs(actual[i]! - expected[i]!), `${what} at ${i}`).toBeLessThan(TOLERANCE);
  }
}

describe('<genviz-gan-duel> the duel', () => {
  test('half real digits, half fakes, each judged by the discriminator as onnxruntime-node judges it', async () => {
    const element = await mount(
      html`<genviz-gan-duel .runtime=${runtime} seed="5" grid-size="12"></genviz-gan-duel>`,
    );
    const round = await roundOf(element);
    expect(round.cells).toHaveLength(12);
    expect(round.cells.filter((cell) => cell.real)).toHaveLength(6);
    const files = await pairingFiles(element);
    const images = new Float32Array(12 * PIXELS);
    round.cells.forEach((cell, i) => images.set(cell.image, i * PIXELS));
    expectClose(
      round.cells.map((cell) => cell.verdict),
      await nodeVerdicts('mnist-dcgan', images, files.discriminator),
      'P(real)',
    );
    // The fakes are the pairing's generator's images of the seed's latents, as onnxruntime-node makes them.
    const generated = await commands.ortNodeRun('mnist-dcgan', files.generator, {
      latent: { dtype: 'float32', dims: [6, 64], data: Array.from(seededLatents(5, 6, 64)) },
    });
    const references = Array.from({ length: 6 }, (_, i) =>
      generated.image!.data.slice(i * PIXELS, (i + 1) * PIXELS),
    );
    for (const cell of round.cells.filter((candidate) => !candidate.real)) {
      const distances = references.map((reference) =>
        Math.max(...reference.map((value: number, i: number) => Math.abs(value - cell.image[i]!))),
      );
      expect(Math.min(...distances)).toBeLessThan(TOLERANCE);
    }
    // Each badge says the verdict; each cell's label says it for a screen reader.
    const badges = parts(element, 'verdict');
    expect(badges).toHaveLength(12);
    expect(Number(badges[0]!.dataset.verdict)).toBeCloseTo(round.cells[0]!.verdict, 6);
    expect(parts(element, 'cell')[0]!.getAttribute('aria-label')).toMatch(
      /Image 1 of 12, the discriminator says \d+(\.\d)?% real/,
    );
    // The canvases show the images.
    const canvas = parts(element, 'cell-image')[0] as HTMLCanvasElement;
    expect(new Set(pixels(canvas)).size).toBeGreaterThan(2);

    // Reveal: which were real, and the discriminator's score.
    const revealed = once(element, 'genviz-round');
    await userEvent.click(part(element, 'reveal-button')!);
    const event: GenvizRoundEvent = await revealed;
    const right = round.cells.filter((cell) => cell.verdict >= 0.5 === cell.real).length;
    expect(event.discriminatorScore).toBeCloseTo(right / 12, 9);
    expect(event.readerScore).toBeNull();
    expect(event.cells.map((cell) => cell.real)).toEqual(round.cells.map((cell) => cell.real));
    await element.updateComplete;
    expect(inState(element, 'revealed')).toBe(true);
    expect(parts(element, 'truth').map((truth) => truth.textContent!.trim())).toEqual(
      round.cells.map((cell) => (cell.real ? 'Real' : 'Fake')),
    );
    expect(part(element, 'score')!.textContent).toMatch(new RegExp(`${right} of 12`));
  });

  test('verdicts follow the images: a new seed brings new images and new verdicts; the same seed, the same fakes', async () => {
    const element = await mount(
      html`<genviz-gan-duel .runtime=${runtime} seed="3"></genviz-gan-duel>`,
    );
    const first = await roundOf(element);
    await userEvent.click(part(element, 'seed-button')!);
    expect(element.seed).toBe(4);
    await vi.waitFor(() => expect(element.round?.seed).toBe(4), MODEL_WORK);
    const second = element.round!;
    expect(second.cells.map((cell) => cell.verdict)).not.toEqual(
      first.cells.map((cell) => cell.verdict),
    );
    const images = new Float32Array(second.cells.length * PIXELS);
    second.cells.forEach((cell, i) => images.set(cell.image, i * PIXELS));
    expectClose(
      second.cells.map((cell) => cell.verdict),
      await nodeVerdicts('mnist-dcgan', images, (await pairingFiles(element)).discriminator),
      'P(real) after a new seed',
    );
    element.seed = 3;
    await vi.waitFor(() => expect(element.round?.seed).toBe(3), MODEL_WORK);
    expect(element.round!.cells.map((cell) => Array.from(cell.image))).toEqual(
      first.cells.map((cell) => Array.from(cell.image)),
    );
  });

  test('real digits are judged once: after the background judging, a round judges only its fakes', async () => {
    const element = await mount(
      html`<genviz-gan-duel .runtime=${runtime} seed="20" grid-size="16"></genviz-gan-duel>`,
    );
    await roundOf(element);
    await vi.waitFor(() => expect(element.realVerdictsKnown).toBe(1000), MODEL_WORK);
    const judged: number[] = [];
    const discriminate = runtime.gan.discriminate;
    vi.spyOn(runtime.gan, 'discriminate').mockImplementation((images, options) => {
      judged.push(images.length / PIXELS);
      return discriminate(images, options);
    });
    element.seed = 21;
    await vi.waitFor(() => expect(element.round?.seed).toBe(21), MODEL_WORK);
    expect(judged).toEqual([8]);
    // The kept verdicts are the discriminator's, as onnxruntime-node computes them.
    const round = element.round!;
    const images = new Float32Array(16 * PIXELS);
    round.cells.forEach((cell, i) => images.set(cell.image, i * PIXELS));
    expectClose(
      round.cells.map((cell) => cell.verdict),
      await nodeVerdicts('mnist-dcgan', images, (await pairingFiles(element)).discriminator),
      'P(real) with kept verdicts',
    );
  });

  test('asking for a digit steers the digit code: the classifier reads the fakes as that digit', async () => {
    const element = await mount(
      html`<genviz-gan-duel .runtime=${runtime} digit="3" grid-size="32"></genviz-gan-duel>`,
    );
    // The trained counterfeiter (the default pairing's is after one epoch, before it draws digits).
    await vi.waitFor(() => expect(element.snapshots.length).toBeGreaterThan(0), {
      timeout: 60_000,
    });
    element.counterfeiterSnapshot = element.snapshots.at(-1)!.index;
    const round = await roundOf(element);
    expect(part(element, 'code')!.textContent).toMatch(/largest of the first 10 picks the digit/);
    expect(part(element, 'code')!.textContent).toMatch(/entry 3 is now the largest/);
    const fakes = round.cells.filter((cell) => !cell.real);
    const images = new Float32Array(fakes.length * PIXELS);
    fakes.forEach((cell, i) => images.set(cell.image, i * PIXELS));
    const readings = await runtime.classifier.read(images, { range: 'minus-one-to-one' });
    const threes = readings.filter((reading) => reading.digit === 3).length;
    expect(threes / readings.length).toBeGreaterThan(0.85);
  });
});

describe('<genviz-gan-duel> play detective', () => {
  test('cells are labelled toggle buttons; the reader’s score is set beside the discriminator’s', async () => {
    const element = await mount(
      html`<genviz-gan-duel
        .runtime=${runtime}
        mode="detective"
        seed="11"
        grid-size="8"
      ></genviz-gan-duel>`,
    );
    const round = await roundOf(element);
    // No verdicts before the reveal.
    expect(parts(element, 'verdict')).toHaveLength(0);
    const cells = parts(element, 'cell');
    expect(cells.every((cell) => cell.tagName === 'BUTTON')).toBe(true);
    expect(cells[0]!.getAttribute('aria-pressed')).toBe('false');
    expect(cells[0]!.getAttribute('aria-label')).toBe('Image 1 of 8, I say fake');
    // Mark the real ones right, by keyboard and by click, and one fake wrong.
    const firstFake = round.cells.findIndex((cell) => !cell.real);
    for (const [position, cell] of round.cells.entries()) {
      if (!cell.real) continue;
      parts(element, 'cell')[position]!.focus();
      await userEvent.keyboard(' ');
    }
    await userEvent.click(parts(element, 'cell')[firstFake]!);
    await element.updateComplete;
    // Arrow keys move between cells.
    parts(element, 'cell')[0]!.focus();
    await userEvent.keyboard('{ArrowRight}');
    expect(element.shadowRoot!.activeElement).toBe(parts(element, 'cell')[1]);
    await userEvent.keyboard('{End}');
    expect(element.shadowRoot!.activeElement).toBe(parts(element, 'cell')[7]);
    expect(element.marks).toEqual(round.cells.map((cell, i) => cell.real || i === firstFake));
    expect(parts(element, 'cell')[firstFake]!.getAttribute('aria-pressed')).toBe('true');
    expect(parts(element, 'cell')[firstFake]!.getAttribute('aria-label')).toMatch(/I say real/);
    const revealed = once(element, 'genviz-round');
    await userEvent.click(part(element, 'reveal-button')!);
    const event = await revealed;
    expect(event.readerScore).toBeCloseTo(7 / 8, 9);
    const right = round.cells.filter((cell) => cell.verdict >= 0.5 === cell.real).length;
    expect(event.discriminatorScore).toBeCloseTo(right / 8, 9);
    await element.updateComplete;
    expect(part(element, 'score')!.textContent).toMatch(/You:\s*7 of 8/);
    expect(parts(element, 'verdict')).toHaveLength(8);
    expect(element.shadowRoot!.querySelector('[aria-live="polite"]')!.textContent).toMatch(
      /You were right on 7 of 8/,
    );
    // A new round starts unmarked and unrevealed.
    await userEvent.click(part(element, 'new-round-button')!);
    await vi.waitFor(() => expect(element.round?.seed).toBe(12), MODEL_WORK);
    await element.updateComplete;
    expect(element.revealed).toBe(false);
    expect(element.marks.every((mark) => !mark)).toBe(true);
  });
});

describe('<genviz-gan-duel> training history', () => {
  test('scrubbing regenerates the same latents at each snapshot; the chart’s history is the packed one', async () => {
    const element = await mount(
      html`<genviz-gan-duel .runtime=${runtime} mode="history" seed="2"></genviz-gan-duel>`,
    );
    await vi.waitFor(() => expect(element.shownSnapshot?.index).toBe(11), MODEL_WORK);
    await element.updateComplete;
    const manifest = (await commands.readDefaultManifest('mnist-dcgan')) as {
      snapshots: { index: number; d_real: number; d_fake: number; epoch: number }[];
    };
    expect(element.snapshots.map((snapshot) => snapshot.dReal)).toEqual(
      manifest.snapshots.map((snapshot) => snapshot.d_real),
    );
    const canvas = () => parts(element, 'history-image')[0] as HTMLCanvasElement;
    const final = pixels(canvas());
    const scrubber = part(element, 'scrubber') as HTMLInputElement;
    expect(scrubber.type).toBe('range');
    expect(scrubber.getAttribute('aria-valuetext')).toMatch(/Snapshot 11 of 11: epoch 100/);
    // By keyboard: Home goes to the untrained generator.
    const changed = once(element, 'genviz-snapshot');
    scrubber.focus();
    await userEvent.keyboard('{Home}');
    const event: GenvizSnapshotEvent = await changed;
    expect(event.snapshot.index).toBe(0);
    expect(event.snapshot.dFake).toBe(manifest.snapshots[0]!.d_fake);
    await element.updateComplete;
    const initial = pixels(canvas());
    expect(initial).not.toEqual(final);
    expect(part(element, 'readout')!.textContent).toMatch(/Epoch 0/);
    // The images are the snapshot's generator on the same latents (onnxruntime-node).
    const reference = await commands.ortNodeRun('mnist-dcgan', 'generator-00.onnx', {
      latent: { dtype: 'float32', dims: [16, 64], data: Array.from(seededLatents(2, 16, 64)) },
    });
    const drawnFromReference = document.createElement('canvas');
    drawnFromReference.width = drawnFromReference.height = 28;
    const { drawTensor } = await import('../kit/draw.js');
    drawTensor(drawnFromReference, Float32Array.from(reference.image!.data.slice(0, PIXELS)));
    const difference = pixels(drawnFromReference).map((value, i) => Math.abs(value - initial[i]!));
    expect(Math.max(...difference)).toBeLessThanOrEqual(1);
    // Scrubbing on changes the images again; back at the end they are the first ones.
    element.snapshot = 5;
    await vi.waitFor(() => expect(element.shownSnapshot?.index).toBe(5), MODEL_WORK);
    await element.updateComplete;
    expect(pixels(canvas())).not.toEqual(initial);
    expect(pixels(canvas())).not.toEqual(final);
    element.snapshot = 11;
    await vi.waitFor(() => expect(element.shownSnapshot?.index).toBe(11), MODEL_WORK);
    await element.updateComplete;
    expect(pixels(canvas())).toEqual(final);
  });

  test('a snapshot the run does not have is rejected by name', async () => {
    const errors: GenvizErrorEvent[] = [];
    const element = await mount(
      html`<genviz-gan-duel
        .runtime=${runtime}
        mode="history"
        run="collapsed"
        snapshot="9"
        @genviz-error=${(event: GenvizErrorEvent) => errors.push(event)}
      ></genviz-gan-duel>`,
    );
    await vi.waitFor(
      () =>
        expect(part(element, 'message')?.textContent).toMatch(
          /from 0 to 6 for the collapsed run, not 9/,
        ),
      MODEL_WORK,
    );
    expect(errors.map((event) => event.code)).toContain('invalid-argument');
    element.snapshot = 6;
    await vi.waitFor(() => expect(element.shownSnapshot?.index).toBe(6), MODEL_WORK);
    expect(part(element, 'message')).toBeNull();
  });
});

describe('<genviz-gan-duel> playing the history', () => {
  test('Play walks through the snapshots to the end', async () => {
    const element = await mount(
      html`<genviz-gan-duel .runtime=${runtime} mode="history" snapshot="8"></genviz-gan-duel>`,
    );
    await vi.waitFor(() => expect(element.shownSnapshot?.index).toBe(8), MODEL_WORK);
    const shown: number[] = [];
    element.addEventListener('genviz-snapshot', (event) => shown.push(event.snapshot.index));
    await userEvent.click(part(element, 'play-button')!);
    expect(inState(element, 'playing')).toBe(true);
    expect(part(element, 'play-button')!.textContent!.trim()).toBe('Pause');
    await vi.waitFor(() => expect(element.playing).toBe(false), MODEL_WORK);
    expect(shown).toEqual([9, 10, 11]);
    expect(element.shownSnapshot?.index).toBe(11);
  });

  test('with reduced motion nothing moves by itself: Play shows the next snapshot', async () => {
    const real = window.matchMedia.bind(window);
    vi.spyOn(window, 'matchMedia').mockImplementation((query: string) =>
      query.includes('prefers-reduced-motion')
        ? ({ ...real(query), matches: true, media: query } as MediaQueryList)
        : real(query),
    );
    const element = await mount(
      html`<genviz-gan-duel .runtime=${runtime} mode="history" snapshot="3"></genviz-gan-duel>`,
    );
    await vi.waitFor(() => expect(element.shownSnapshot?.index).toBe(3), MODEL_WORK);
    await element.updateComplete;
    expect(part(element, 'play-button')!.textContent!.trim()).toBe('Next snapshot');
    await userEvent.click(part(element, 'play-button')!);
    await vi.waitFor(() => expect(element.shownSnapshot?.index).toBe(4), MODEL_WORK);
    expect(element.playing).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(element.shownSnapshot?.index).toBe(4);
  });
});

describe('<genviz-gan-duel> mode collapse', () => {
  test('the collapsed run’s meter has a lower entropy than the healthy one beside it', async () => {
    const element = await mount(
      html`<genviz-gan-duel .runtime=${runtime} mode="collapse" run="collapsed"></genviz-gan-duel>`,
    );
    await vi.waitFor(() => expect(element.meters).toHaveLength(2), MODEL_WORK);
    await element.updateComplete;
    const [collapsed, healthy] = element.meters;
    expect(collapsed!.run).toBe('collapsed');
    expect(healthy!.run).toBe('healthy');
    expect(collapsed!.counts.reduce((a, b) => a + b, 0)).toBe(200);
    // The model card's target for the collapsed run (its one image reads as a 5 or an 8: about 1 bit).
    expect(collapsed!.entropy).toBeLessThanOrEqual(1.5);
    expect(healthy!.entropy).toBeGreaterThan(3);
    const shown = (name: string) => Number(part(element, name)!.dataset.entropy);
    expect(shown('meter-collapsed')).toBeLessThan(shown('meter-healthy'));
    expect(part(element, 'meter-collapsed')!.textContent).toMatch(/\d\.\d\d bits/);
    expect(part(element, 'bars-collapsed')!.getAttribute('aria-label')).toMatch(/0: \d+, 1: \d+/);
    // Its first snapshot, the untrained generator, has its own meter.
    element.snapshot = 0;
    await vi.waitFor(() => expect(element.meters[0]?.snapshot).toBe(0), MODEL_WORK);
  });
});

describe('<genviz-gan-duel> methods act on the settings of the moment (issue 24)', () => {
  test('reveal() right after a setting changed reveals the new round', async () => {
    const element = await mount(
      html`<genviz-gan-duel .runtime=${runtime} grid-size="4"></genviz-gan-duel>`,
    );
    await roundOf(element);
    element.seed = 9;
    element.reveal();
    await vi.waitFor(() => expect(element.round?.seed).toBe(9), MODEL_WORK);
    await element.updateComplete;
    expect(element.revealed).toBe(true);
    expect(inState(element, 'revealed')).toBe(true);
    element.seed = 4;
    element.digit = 2;
    element.reveal();
    await vi.waitFor(() => expect(element.round?.seed).toBe(4), MODEL_WORK);
    await element.updateComplete;
    expect(element.revealed).toBe(true);
  });

  test('judge() right after the run changed resolves with the other run’s verdict', async () => {
    const element = await mount(
      html`<genviz-gan-duel
        .runtime=${runtime}
        mode="counterfeiter"
        grid-size="4"
      ></genviz-gan-duel>`,
    );
    await roundOf(element);
    const digits = await runtime.data.heldOutDigits();
    const image = digitImage(digits, 0).image;
    element.run = 'collapsed';
    const verdict = await element.judge(image);
    expect(verdict).toBeTypeOf('number');
    expectClose([verdict!], await nodeVerdicts('mnist-dcgan-collapsed', image), 'collapsed');
  });

  test('after the duel’s reveal, Play detective starts its own game on the round', async () => {
    const element = await mount(
      html`<genviz-gan-duel .runtime=${runtime} grid-size="4"></genviz-gan-duel>`,
    );
    await roundOf(element);
    await userEvent.click(part(element, 'reveal-button')!);
    expect(element.revealed).toBe(true);
    const detective = parts(element, 'mode-button').find((button) =>
      /detective/i.test(button.textContent!),
    )!;
    await userEvent.click(detective);
    await element.updateComplete;
    expect(element.mode).toBe('detective');
    expect(element.revealed).toBe(false);
    const cells = parts(element, 'cell') as HTMLButtonElement[];
    expect(cells.length).toBe(4);
    expect(cells.every((cell) => !cell.disabled)).toBe(true);
    await userEvent.click(cells[0]!);
    expect(element.marks[0]).toBe(true);
  });
});

describe('<genviz-gan-duel> be the counterfeiter', () => {
  test('a drawn digit is judged by the discriminator, beside the round’s best fake and a real digit', async () => {
    const element = await mount(
      html`<genviz-gan-duel .runtime=${runtime} mode="counterfeiter"></genviz-gan-duel>`,
    );
    const round = await roundOf(element);
    const pad = element.shadowRoot!.querySelector<GenvizDrawingPad>('genviz-drawing-pad')!;
    await pad.updateComplete;
    const digits = await runtime.data.heldOutDigits();
    // Nothing drawn, nothing judged: the element asks for a drawing.
    expect(part(element, 'your-verdict')!.textContent).toMatch(/Draw a digit first/);
    expect(element.counterfeitVerdict).toBeUndefined();
    const verdicts: GenvizVerdictEvent[] = [];
    element.addEventListener('genviz-verdict', (event) => verdicts.push(event));
    // The browser's own mouse; every stroke's end is judged, the last one on the whole drawing.
    await traceDigit(
      part(pad, 'surface')!,
      digitImage(digits, digits.labels.indexOf(4), 'unit').image,
    );
    const drawn = pad.toTensor('minus-one-to-one');
    await vi.waitFor(
      () => expect(Array.from(verdicts.at(-1)?.image ?? [])).toEqual(Array.from(drawn)),
      MODEL_WORK,
    );
    const event = verdicts.at(-1)!;
    expectClose(
      [event.verdict],
      await nodeVerdicts(
        'mnist-dcgan',
        pad.toTensor('minus-one-to-one'),
        (await pairingFiles(element)).discriminator,
      ),
      'drawing',
    );
    await element.updateComplete;
    expect(part(element, 'your-verdict')!.textContent).toMatch(/Your drawing:\s*\d+(\.\d)?% real/);
    const best = Math.max(...round.cells.filter((cell) => !cell.real).map((cell) => cell.verdict));
    expect(
      Number(part(element, 'rival')!.querySelector('[data-verdict]')!.getAttribute('data-verdict')),
    ).toBeCloseTo(best, 6);
    expect(new Set(pixels(part(element, 'rival-fake') as HTMLCanvasElement)).size).toBeGreaterThan(
      2,
    );
    // Cleared with a click: the verdict goes, and the element asks for a drawing again.
    await userEvent.click(part(pad, 'clear-button')!);
    await element.updateComplete;
    expect(element.counterfeitVerdict).toBeUndefined();
    expect(part(element, 'your-verdict')!.textContent).toMatch(/Draw a digit first/);
  });
});

/** The share of right calls of a detective file on real digits and fakes, by onnxruntime-node. */
async function nodeAccuracy(
  model: string,
  discriminator: string,
  real: Float32Array,
  fakes: ArrayLike<number>,
): Promise<{ realRight: number; fakeRight: number }> {
  const count = (images: ArrayLike<number>) => images.length / PIXELS;
  const onReal = await commands.ortNodeRun(model, discriminator, {
    image: { dtype: 'float32', dims: [count(real), 1, 28, 28], data: Array.from(real) },
  });
  const onFakes = await commands.ortNodeRun(model, discriminator, {
    image: { dtype: 'float32', dims: [count(fakes), 1, 28, 28], data: Array.from(fakes) },
  });
  return {
    realRight: onReal.logit!.data.filter((logit) => logit >= 0).length,
    fakeRight: onFakes.logit!.data.filter((logit) => logit < 0).length,
  };
}

/** A detective file's calls by onnxruntime-node: real digits called real, and each fake called fake or not. */
async function nodeCalls(
  model: string,
  discriminator: string,
  real: Float32Array,
  fakes: ArrayLike<number>,
): Promise<{ realRight: number; fakeCalls: boolean[] }> {
  const images = new Float32Array(real.length + fakes.length);
  images.set(real);
  images.set(Array.from(fakes), real.length);
  const out = await commands.ortNodeRun(model, discriminator, {
    image: {
      dtype: 'float32',
      dims: [images.length / PIXELS, 1, 28, 28],
      data: Array.from(images),
    },
  });
  const logits = out.logit!.data;
  const count = real.length / PIXELS;
  return {
    realRight: logits.slice(0, count).filter((logit) => logit >= 0).length,
    fakeCalls: logits.slice(count).map((logit) => logit < 0),
  };
}

describe('<genviz-gan-duel> the arms race', () => {
  test('the duel opens on a detective that wins; one step of the counterfeiter’s slider fools it', async () => {
    const pairings: GenvizPairingEvent[] = [];
    const element = await mount(
      html`<genviz-gan-duel
        .runtime=${runtime}
        @genviz-pairing=${(event: GenvizPairingEvent) => pairings.push(event)}
      ></genviz-gan-duel>`,
    );
    await roundOf(element);
    expect(element.pairing).toEqual({ run: 'healthy', detective: 1, counterfeiter: 1 });
    await vi.waitFor(() => expect(element.pairingAccuracy).toBeDefined(), { timeout: 60_000 });
    await element.updateComplete;
    // Measured on the matrix's 64 real digits and 64 fakes, as onnxruntime-node judges them.
    const files = await pairingFiles(element);
    const digits = await runtime.data.heldOutDigits();
    const { real, latents } = matrixInputs(element.seed, digits, 64);
    const fakes = await commands.ortNodeRun('mnist-dcgan', files.generator, {
      latent: { dtype: 'float32', dims: [64, 64], data: Array.from(latents) },
    });
    const node = await nodeAccuracy('mnist-dcgan', files.discriminator, real, fakes.image!.data);
    const accuracy = element.pairingAccuracy!;
    expect(accuracy).toBeCloseTo((node.realRight + node.fakeRight) / 128, 6);
    expect(accuracy).toBeGreaterThanOrEqual(0.75);
    expect(part(element, 'winner')!.textContent).toMatch(/the detective is winning/);
    const detectiveSlider = part(element, 'detective-slider') as HTMLInputElement;
    const counterfeiterSlider = part(element, 'counterfeiter-slider') as HTMLInputElement;
    expect(detectiveSlider.getAttribute('aria-valuetext')).toMatch(/^epoch 1 /);
    // One step of the counterfeiter's slider, by keyboard.
    counterfeiterSlider.focus();
    await userEvent.keyboard('{ArrowRight}');
    await vi.waitFor(() => expect(pairings.length).toBeGreaterThan(0), { timeout: 30_000 });
    expect(element.pairing).toEqual({ run: 'healthy', detective: 1, counterfeiter: 2 });
    expect(pairings.at(-1)!.counterfeiter!.index).toBe(2);
    expect(pairings.at(-1)!.detective!.index).toBe(1);
    await vi.waitFor(() => expect(element.pairingAccuracy).toBeDefined(), { timeout: 60_000 });
    await element.updateComplete;
    expect(element.pairingAccuracy!).toBeLessThan(0.6);
    expect(part(element, 'winner')!.textContent).toMatch(/the counterfeiter is winning/);
    await vi.waitFor(() => expect(element.round?.pairing.counterfeiter).toBe(2), {
      timeout: 30_000,
    });
    // `snapshot` alone sets both sides.
    element.detectiveSnapshot = undefined;
    element.counterfeiterSnapshot = undefined;
    element.snapshot = 3;
    await element.updateComplete;
    expect(element.pairing).toEqual({ run: 'healthy', detective: 3, counterfeiter: 3 });
  });

  test('the matrices fill row by row; every cell is onnxruntime-node’s accuracy on the same images', async () => {
    const matrices: GenvizMatrixEvent[] = [];
    const rowsSeen = new Set<string>();
    const element = await mount(
      html`<genviz-gan-duel
        .runtime=${runtime}
        mode="matrix"
        seed="2"
        @genviz-matrix=${(event: GenvizMatrixEvent) => matrices.push(event)}
      ></genviz-gan-duel>`,
    );
    const observer = new MutationObserver(() => {
      for (const figure of parts(element, 'matrix-run')) {
        rowsSeen.add(`${figure.getAttribute('part')}:${figure.dataset.rows}`);
      }
    });
    observer.observe(element.shadowRoot!, {
      subtree: true,
      attributes: true,
      attributeFilter: ['data-rows'],
    });
    await vi.waitFor(() => expect(matrices).toHaveLength(2), { timeout: 240_000 });
    observer.disconnect();
    expect(matrices.map((event) => event.run)).toEqual(['healthy', 'collapsed']);
    // Progressive: the healthy matrix was seen part-filled.
    const partial = [...rowsSeen].filter((seen) => seen.includes('matrix-healthy'));
    expect(partial.length).toBeGreaterThan(2);
    const digits = await runtime.data.heldOutDigits();
    const { real, latents } = matrixInputs(2, digits, 64);
    for (const event of matrices) {
      const model = event.run === 'healthy' ? 'mnist-dcgan' : 'mnist-dcgan-collapsed';
      const manifest = (await commands.readDefaultManifest(model)) as ModelManifest;
      expect(event.counterfeiters.map((c) => c.index)).toEqual(
        manifest.snapshots!.map((snapshot) => snapshot.index),
      );
      expect(event.accuracy).toHaveLength(event.detectives.length);
      const fakes = [];
      for (const snapshot of manifest.snapshots!) {
        const out = await commands.ortNodeRun(model, snapshot.variants[0]!.file, {
          latent: { dtype: 'float32', dims: [64, 64], data: Array.from(latents) },
        });
        fakes.push(out.image!.data);
      }
      // Every counterfeiter's fakes in one batch per detective.
      const allFakes = fakes.flatMap((images) => Array.from(images));
      for (const [i, detective] of event.detectives.entries()) {
        const file = manifest.snapshots!.find((s) => s.index === detective.index)!
          .discriminatorVariants![0]!.file;
        const node = await nodeCalls(model, file, real, allFakes);
        for (const j of fakes.keys()) {
          const caught = node.fakeCalls.slice(j * 64, (j + 1) * 64).filter((fake) => fake).length;
          expect(event.accuracy[i]![j], `${event.run} ${i},${j}`).toBeCloseTo(
            (node.realRight + caught) / 128,
            6,
          );
        }
      }
      if (event.run === 'healthy') {
        // The healthy run ends in a stalemate: the last diagonal cell is near 50%.
        const last = event.detectives.length - 1;
        expect(Math.abs(event.accuracy[last]![last]! - 0.5)).toBeLessThanOrEqual(0.1);
      }
    }
    // Each cell is a labelled button; the diagonal is marked; the current pairing highlighted.
    await element.updateComplete;
    const healthy = part(element, 'matrix-healthy')!;
    const cells = [...healthy.querySelectorAll<HTMLButtonElement>('[part~="matrix-cell"]')];
    const size = matrices[0]!.detectives.length;
    expect(cells).toHaveLength(size * matrices[0]!.counterfeiters.length);
    expect(cells[0]!.getAttribute('aria-label')).toMatch(
      /^detective epoch 0 against counterfeiter epoch 0: \d+(\.\d)?% right$/,
    );
    expect(cells.filter((cell) => cell.hasAttribute('data-diagonal'))).toHaveLength(size);
    const current = cells.filter((cell) => cell.getAttribute('aria-current') === 'true');
    expect(current.map((cell) => [cell.dataset.row, cell.dataset.column])).toEqual([['1', '1']]);
    // Arrow keys move between cells (one tab stop); pressing a cell opens its duel.
    current[0]!.focus();
    await userEvent.keyboard('{ArrowRight}');
    await userEvent.keyboard('{ArrowDown}');
    const focused = element.shadowRoot!.activeElement as HTMLElement;
    expect([focused.dataset.row, focused.dataset.column]).toEqual(['2', '2']);
    expect(cells.filter((cell) => cell.tabIndex === 0)).toHaveLength(1);
    const pairing = once(element, 'genviz-pairing');
    await userEvent.keyboard('{Enter}');
    const opened = await pairing;
    expect(element.mode).toBe('duel');
    expect([opened.detective!.index, opened.counterfeiter!.index]).toEqual([2, 2]);
    expect(element.pairing).toEqual({ run: 'healthy', detective: 2, counterfeiter: 2 });
  });

  test('the collapsed run opens on its final networks, scored as its last snapshot', async () => {
    const element = await mount(
      html`<genviz-gan-duel .runtime=${runtime} run="collapsed" grid-size="4"></genviz-gan-duel>`,
    );
    await roundOf(element);
    expect(element.pairing).toEqual({
      run: 'collapsed',
      detective: undefined,
      counterfeiter: undefined,
    });
    await vi.waitFor(() => expect(element.pairingAccuracy).toBeDefined(), { timeout: 60_000 });
    await element.updateComplete;
    const last = element.snapshots.at(-1)!;
    expect(part(element, 'winner')!.textContent).toMatch(
      new RegExp(
        `after epoch ${last.epoch}\\s+against\\s+the counterfeiter\\s+after epoch ${last.epoch}`,
      ),
    );
    expect((part(element, 'counterfeiter-slider') as HTMLInputElement).value).toBe(
      String(element.snapshots.length - 1),
    );
  });

  test('detective mode sets the reader’s score beside the chosen detective’s on the same images', async () => {
    const element = await mount(
      html`<genviz-gan-duel
        .runtime=${runtime}
        mode="detective"
        detective-snapshot="2"
        counterfeiter-snapshot="1"
        grid-size="8"
      ></genviz-gan-duel>`,
    );
    const round = await roundOf(element);
    expect(round.pairing).toEqual({ run: 'healthy', detective: 2, counterfeiter: 1 });
    await userEvent.click(part(element, 'reveal-button')!);
    await element.updateComplete;
    const epoch = element.snapshots.find((snapshot) => snapshot.index === 2)!.epoch;
    const right = round.cells.filter((cell) => cell.verdict >= 0.5 === cell.real).length;
    expect(part(element, 'score')!.textContent).toMatch(
      new RegExp(
        `You:\\s*\\d of 8.*The detective \\(the discriminator after epoch ${epoch}\\):\\s*${right} of 8`,
        's',
      ),
    );
  });

  test('the collapse view charts both runs’ diversity at every snapshot; the collapsed one falls to near 0 bits', async () => {
    const element = await mount(
      html`<genviz-gan-duel .runtime=${runtime} mode="collapse"></genviz-gan-duel>`,
    );
    await vi.waitFor(() => expect(element.entropyHistory).toHaveLength(2), { timeout: 240_000 });
    await element.updateComplete;
    const [healthy, collapsed] = element.entropyHistory;
    expect(healthy!.points).toHaveLength(element.snapshots.length);
    // After the untrained grey of epoch 0 (which the classifier also reads as one digit), the
    // collapsed run falls to one kind of image: near 0 bits, and under the 1.5-bit target at the end.
    const trained = collapsed!.points.slice(1).map((point) => point.entropy);
    expect(Math.min(...trained)).toBeLessThan(0.3);
    expect(trained.at(-1)!).toBeLessThan(1.5);
    expect(healthy!.points.at(-1)!.entropy).toBeGreaterThan(3);
    const chart = part(element, 'entropy-chart')!;
    expect(chart.querySelectorAll('polyline')).toHaveLength(2);
    expect(chart.getAttribute('aria-label')).toMatch(/Collapsed run: epoch 0 \d\.\d\d bits/);
  });
});

describe('<genviz-gan-duel> states', () => {
  test('a model URL that does not exist shows the error state', async () => {
    const errors: GenvizErrorEvent[] = [];
    const element = await mount(
      html`<genviz-gan-duel
        .runtime=${runtime}
        model="/no-such-gan/manifest.json"
        @genviz-error=${(event: GenvizErrorEvent) => errors.push(event)}
      ></genviz-gan-duel>`,
    );
    await vi.waitFor(() => expect(part(element, 'error')).not.toBeNull(), MODEL_WORK);
    expect(part(element, 'error')!.textContent).toMatch(/no-such-gan/);
    expect(part(element, 'error')!.getAttribute('role')).toBe('alert');
    expect(inState(element, 'error')).toBe(true);
    expect(errors.map((event) => event.code)).toContain('model-not-found');
    // Fixed, it recovers.
    element.model = 'mnist-dcgan';
    await roundOf(element);
    await element.updateComplete;
    expect(part(element, 'error')).toBeNull();
  });

  test('a model of another task and invalid attributes are refused by name', async () => {
    const element = await mount(
      html`<genviz-gan-duel .runtime=${runtime} grid-size="100" mode="vs"></genviz-gan-duel>`,
    );
    expect(part(element, 'message')!.textContent).toMatch(
      /grid-size must be a whole number from 2 to 64, not 100/,
    );
    expect(part(element, 'message')!.textContent).toMatch(/mode must be/);
    element.gridSize = 4;
    element.mode = 'duel';
    element.model = 'mnist-vae';
    await vi.waitFor(
      () =>
        expect(part(element, 'error')?.textContent).toMatch(
          /vae model; this element needs a gan model/,
        ),
      MODEL_WORK,
    );
  });

  test('on auto without a usable GPU: progress events while loading, then the CPU-fallback state', async () => {
    const auto = new GenvizRuntime({ idleTimeoutMs: 60_000 });
    try {
      const progress: string[] = [];
      const element = await mount(
        html`<genviz-gan-duel
          .runtime=${auto}
          grid-size="4"
          @genviz-model-progress=${(event: GlobalEventHandlersEventMap['genviz-model-progress']) =>
            progress.push(event.progress.status)}
        ></genviz-gan-duel>`,
      );
      await roundOf(element);
      expect(progress.length).toBeGreaterThan(0);
      const environment = await auto.environment();
      const gpu = environment.webgpu.available && !environment.webgpu.fallbackAdapter;
      expect(inState(element, 'cpu-fallback')).toBe(!gpu);
      if (!gpu) expect(part(element, 'device')!.classList.contains('fallback')).toBe(true);
    } finally {
      auto.terminate();
    }
  });

  test('moved while making a round, it makes the round when back on the page', async () => {
    const element = await mount(
      html`<genviz-gan-duel .runtime=${runtime} seed="30"></genviz-gan-duel>`,
    );
    const parent = element.parentElement!;
    element.remove();
    // Everything in flight settles while it is away.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(element.round).toBeUndefined();
    parent.append(element);
    await roundOf(element);
    expect(element.round!.seed).toBe(30);
  });

  test('the device line says where the models run; 320 px wide, no view overflows', async () => {
    const element = await mount(html`<genviz-gan-duel .runtime=${runtime}></genviz-gan-duel>`, 320);
    await roundOf(element);
    await vi.waitFor(
      () => expect(part(element, 'device')?.textContent).toMatch(/CPU \(WASM/),
      MODEL_WORK,
    );
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
      if (mode === 'matrix') {
        await vi.waitFor(() => expect(element.matrices).toHaveLength(2), { timeout: 120_000 });
        await element.updateComplete;
      }
      const base = part(element, 'base')!;
      const wide = [...element.shadowRoot!.querySelectorAll('*')]
        .filter(
          (node) => node.getBoundingClientRect().right > base.getBoundingClientRect().right + 1,
        )
        .map(
          (node) =>
            `${node.tagName}.${node.getAttribute('part') ?? node.className}:${Math.round(node.getBoundingClientRect().width)}`,
        );
      expect(wide, mode).toEqual([]);
      expect(base.scrollWidth, mode).toBeLessThanOrEqual(base.clientWidth + 1);
    }
  });
});
