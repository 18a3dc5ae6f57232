import { tensorToRgba } from '@genviz/core';

// Tiny canvases redrawn on every step: a CPU-backed context avoids a GPU texture upload per
// canvas per step, which costs more than drawing 784 pixels (and, on software GL, blocks the
// main thread for hundreds of milliseconds).
const CONTEXT_OPTIONS: CanvasRenderingContext2DSettings = { willReadFrequently: true };
/** Scratch buffers per canvas size, reused on every draw (canvases are redrawn per step). */
const scratch = new Map<number, { rgba: Uint8ClampedArray<ArrayBuffer>; scaled: Float32Array }>();

/**
 * Paints a tensor on a canvas of its own size, one value per canvas pixel (CSS scales it up,
 * pixelated): a 28x28 digit, a 7x7 latent channel. Values are divided by `range` and shown from
 * black (-1) to white (+1), clamped. `offset` picks where in `tensor` the image starts.
 */
export function drawTensor(
  canvas: HTMLCanvasElement | null,
  tensor: Float32Array | undefined,
  range = 1,
  offset = 0,
): void {
  const context = canvas?.getContext('2d', CONTEXT_OPTIONS);
  if (!canvas || !context) return;
  const { width, height } = canvas;
  if (!tensor) {
    context.clearRect(0, 0, width, height);
    return;
  }
  const size = width * height;
  let buffers = scratch.get(size);
  if (!buffers) {
    buffers = { rgba: new Uint8ClampedArray(size * 4), scaled: new Float32Array(size) };
    scratch.set(size, buffers);
  }
  const { rgba, scaled } = buffers;
  for (let i = 0; i < size; i++) scaled[i] = tensor[offset + i]! / range;
  tensorToRgba(rgba, scaled, { channels: 1, height, width }, 'minus-one-to-one');
  context.putImageData(new ImageData(rgba, width, height), 0, 0);
}

/** Mean and (population) variance of the values. */
export function moments(values: Float32Array): { mean: number; variance: number } {
  let sum = 0;
  for (const value of values) sum += value;
  const mean = sum / values.length;
  let squares = 0;
  for (const value of values) squares += (value - mean) ** 2;
  return { mean, variance: squares / values.length };
}

/**
 * How x_t is shown: variance-preserving samples already live in about [-1, 1]; the samples of
 * sigma-parameterized schedulers (Euler, Heun, LMS, DPM-Solver with Karras sigmas) are scaled by
 * sqrt(1 + sigma^2), up to ~157 at t = 999, so they are shown divided by their spread.
 */
export function displayRange(sample: Float32Array): number {
  const { mean, variance } = moments(sample);
  return Math.max(1, Math.sqrt(variance + mean * mean));
}

export interface Palette {
  readonly ink: string;
  readonly accent: string;
  readonly second: string;
  readonly fill: string;
}

/**
 * How long a canvas's palette is reused. Reading computed style forces a style recalculation
 * of the page whenever anything changed since the last one: with a few elements drawing every
 * streamed step, that was most of the main thread's time (2.3 s of a 38 s run with 21 elements).
 * A theme change reaches the plots at their next redraw after this, or at once when the
 * colour scheme changes.
 */
const PALETTE_TTL_MS = 1000;
let palettes = new WeakMap<HTMLCanvasElement, { palette: Palette; at: number }>();
let schemeWatched = false;

/**
 * Colours come from CSS so themes and light-dark() reach the canvas: each canvas carries its
 * palette in resolved colour properties (color, caret-color, column-rule-color,
 * text-decoration-color), which getComputedStyle returns as rgb() strings.
 */
export function palette(canvas: HTMLCanvasElement): Palette {
  const now = performance.now();
  const cached = palettes.get(canvas);
  if (cached && now - cached.at < PALETTE_TTL_MS) return cached.palette;
  if (!schemeWatched && typeof matchMedia === 'function') {
    schemeWatched = true;
    matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => {
      palettes = new WeakMap();
    });
  }
  const style = getComputedStyle(canvas);
  const read: Palette = {
    ink: style.color,
    accent: style.caretColor,
    second: style.columnRuleColor,
    fill: style.textDecorationColor,
  };
  palettes.set(canvas, { palette: read, at: now });
  return read;
}

const HISTOGRAM_MIN = -4;
const HISTOGRAM_MAX = 4;
const HISTOGRAM_BINS = 48;

/** A density histogram of the values on [-4, 4] with the standard normal density drawn over it. */
export function drawHistogram(canvas: HTMLCanvasElement | null, values: Float32Array | undefined) {
  const context = canvas?.getContext('2d', CONTEXT_OPTIONS);
  if (!canvas || !context) return;
  const { width, height } = canvas;
  context.clearRect(0, 0, width, height);
  const colours = palette(canvas);
  const pad = 14;
  const plotHeight = height - pad;
  const yMax = 0.9;
  const x = (value: number) => ((value - HISTOGRAM_MIN) / (HISTOGRAM_MAX - HISTOGRAM_MIN)) * width;
  const y = (density: number) => plotHeight - (Math.min(density, yMax) / yMax) * (plotHeight - 2);
  if (values) {
    const counts = new Float64Array(HISTOGRAM_BINS);
    const binWidth = (HISTOGRAM_MAX - HISTOGRAM_MIN) / HISTOGRAM_BINS;
    for (const value of values) {
      const bin = Math.floor((value - HISTOGRAM_MIN) / binWidth);
      if (bin >= 0 && bin < HISTOGRAM_BINS) counts[bin]! += 1;
    }
    context.fillStyle = colours.fill;
    for (let bin = 0; bin < HISTOGRAM_BINS; bin++) {
      const density = counts[bin]! / (values.length * binWidth);
      const left = x(HISTOGRAM_MIN + bin * binWidth);
      const top = y(density);
      context.fillRect(left + 0.5, top, width / HISTOGRAM_BINS - 1, plotHeight - top);
    }
  }
  context.strokeStyle = colours.accent;
  context.lineWidth = 2;
  context.beginPath();
  for (let px = 0; px <= width; px += 2) {
    const value = HISTOGRAM_MIN + (px / width) * (HISTOGRAM_MAX - HISTOGRAM_MIN);
    const density = Math.exp(-(value * value) / 2) / Math.sqrt(2 * Math.PI);
    if (px === 0) context.moveTo(px, y(density));
    else context.lineTo(px, y(density));
  }
  context.stroke();
  context.fillStyle = colours.ink;
  context.font = '10px system-ui, sans-serif';
  context.textBaseline = 'bottom';
  for (const tick of [-3, -1, 0, 1, 3]) {
    context.fillText(String(tick), x(tick) - 3, height);
  }
  context.fillRect(0, plotHeight, width, 1);
}

/** One line of a plot: values over x = index + `xOffset`, against the left or right axis. */
export interface LineSeries {
  readonly values: ArrayLike<number>;
  readonly axis: 'left' | 'right';
  /** A palette colour (see `palette`). */
  readonly colour: 'ink' | 'accent' | 'second';
  readonly dashed?: boolean;
}

export interface LinePlotOptions {
  /** The x range is [0, xMax]. */
  readonly xMax: number;
  /** x of values[i] is i + xOffset (default 0). */
  readonly xOffset?: number;
  /** Draw every stride-th value (default 1). */
  readonly stride?: number;
  /** Value ranges of the axes; values outside are clipped. */
  readonly left: readonly [number, number];
  readonly right?: readonly [number, number];
  readonly xTicks: readonly number[];
  /** A vertical cursor at this x. */
  readonly cursor?: number;
}

/** The plot without its cursor, per canvas: redrawn only when what it shows changed. */
const plotBackgrounds = new WeakMap<
  HTMLCanvasElement,
  { key: readonly unknown[]; image: HTMLCanvasElement }
>();

const sameKey = (a: readonly unknown[], b: readonly unknown[]) =>
  a.length === b.length && a.every((value, i) => value === b[i]);

/**
 * Lines over a shared x axis, with a left and an optional right value axis, and a cursor. The
 * lines and axes are drawn once into an offscreen canvas and copied on later draws where only
 * the cursor moved (the stepper's schedule plot, 4 x 500 segments, on every streamed step).
 */
export function drawLinePlot(
  canvas: HTMLCanvasElement | null,
  series: readonly LineSeries[],
  options: LinePlotOptions,
): void {
  const context = canvas?.getContext('2d', CONTEXT_OPTIONS);
  if (!canvas || !context) return;
  const { width, height } = canvas;
  const colours = palette(canvas);
  const top = 6;
  const bottom = height - 14;
  const x = (value: number) => (value / options.xMax) * width;
  const key = [
    width,
    height,
    colours.ink,
    colours.accent,
    colours.second,
    options.xMax,
    options.xOffset,
    options.stride,
    options.left.join(),
    options.right?.join(),
    options.xTicks.join(),
    ...series.flatMap((line) => [line.values, line.axis, line.colour, line.dashed]),
  ];
  let background = plotBackgrounds.get(canvas);
  if (!background || !sameKey(background.key, key)) {
    const image = background?.image ?? document.createElement('canvas');
    image.width = width;
    image.height = height;
    const offscreen = image.getContext('2d', CONTEXT_OPTIONS);
    if (!offscreen) return;
    drawPlotLines(offscreen, width, height, colours, series, options);
    background = { key, image };
    plotBackgrounds.set(canvas, background);
  }
  context.clearRect(0, 0, width, height);
  context.drawImage(background.image, 0, 0);
  if (options.cursor !== undefined) {
    context.fillStyle = colours.ink;
    context.fillRect(Math.min(width - 2, x(options.cursor)), top - 4, 2, bottom - top + 4);
  }
}

function drawPlotLines(
  context: CanvasRenderingContext2D,
  width: number,
  height: number,
  colours: Palette,
  series: readonly LineSeries[],
  options: LinePlotOptions,
): void {
  context.clearRect(0, 0, width, height);
  const top = 6;
  const bottom = height - 14;
  const stride = options.stride ?? 1;
  const offset = options.xOffset ?? 0;
  const x = (value: number) => (value / options.xMax) * width;
  const yOn =
    ([min, max]: readonly [number, number]) =>
    (value: number) => {
      const clipped = Math.max(min, Math.min(max, value));
      return bottom - ((clipped - min) / (max - min)) * (bottom - top);
    };
  context.lineWidth = 2;
  for (const line of series) {
    const y = yOn(line.axis === 'left' ? options.left : (options.right ?? options.left));
    context.strokeStyle = colours[line.colour];
    context.setLineDash(line.dashed ? [6, 4] : []);
    context.beginPath();
    for (let i = 0; i < line.values.length; i += stride) {
      if (i === 0) context.moveTo(x(i + offset), y(line.values[i]!));
      else context.lineTo(x(i + offset), y(line.values[i]!));
    }
    context.stroke();
  }
  context.setLineDash([]);
  context.fillStyle = colours.ink;
  context.fillRect(0, bottom, width, 1);
  context.font = '10px system-ui, sans-serif';
  context.textBaseline = 'bottom';
  for (const tick of options.xTicks) {
    const left = Math.min(width - 24, Math.max(0, x(tick) - 8));
    context.fillText(String(tick), left, height);
  }
}
