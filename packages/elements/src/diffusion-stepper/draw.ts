import { tensorToRgba } from '@genviz/core';
import { SIDE } from './images.js';

// Tiny canvases redrawn on every step: a CPU-backed context avoids a GPU texture upload per
// canvas per step, which costs more than drawing 784 pixels (and, on software GL, blocks the
// main thread for hundreds of milliseconds).
const CONTEXT_OPTIONS: CanvasRenderingContext2DSettings = { willReadFrequently: true };
const shape = { channels: 1, height: SIDE, width: SIDE } as const;
const rgba = new Uint8ClampedArray(SIDE * SIDE * 4);
const scaled = new Float32Array(SIDE * SIDE);

/**
 * Paints a 28x28 tensor on a 28x28 canvas (CSS scales it up, pixelated). Values are divided by
 * `range` and shown from black (-1) to white (+1), clamped.
 */
export function drawTensor(
  canvas: HTMLCanvasElement | null,
  tensor: Float32Array | undefined,
  range = 1,
): void {
  const context = canvas?.getContext('2d', CONTEXT_OPTIONS);
  if (!context) return;
  if (!tensor) {
    context.clearRect(0, 0, SIDE, SIDE);
    return;
  }
  for (let i = 0; i < scaled.length; i++) scaled[i] = tensor[i]! / range;
  tensorToRgba(rgba, scaled, shape, 'minus-one-to-one');
  context.putImageData(new ImageData(rgba, SIDE, SIDE), 0, 0);
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

/**
 * Colours come from CSS so themes and light-dark() reach the canvas: each canvas carries its
 * palette in resolved colour properties (color, caret-color, column-rule-color,
 * text-decoration-color), which getComputedStyle returns as rgb() strings.
 */
function palette(canvas: HTMLCanvasElement) {
  const style = getComputedStyle(canvas);
  return {
    ink: style.color,
    accent: style.caretColor,
    second: style.columnRuleColor,
    fill: style.textDecorationColor,
  };
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

export interface ScheduleCurves {
  linear: { alphasCumprod: Float32Array; logSnr: Float32Array };
  cosine: { alphasCumprod: Float32Array; logSnr: Float32Array };
}

const LOG_SNR_LIMIT = 12;

/**
 * alpha-bar (left axis, 0..1) and log-SNR (right axis, clipped to +-12) over t for the linear
 * and the cosine schedule, with a cursor at `cursor` (0..1000, undefined for none).
 */
export function drawSchedule(
  canvas: HTMLCanvasElement | null,
  curves: ScheduleCurves | undefined,
  cursor: number | undefined,
) {
  const context = canvas?.getContext('2d', CONTEXT_OPTIONS);
  if (!canvas || !context || !curves) return;
  const { width, height } = canvas;
  const colours = palette(canvas);
  context.clearRect(0, 0, width, height);
  const top = 6;
  const bottom = height - 14;
  const count = curves.linear.alphasCumprod.length;
  const x = (t: number) => (t / count) * width;
  const yAlpha = (value: number) => bottom - value * (bottom - top);
  const ySnr = (value: number) => {
    const clipped = Math.max(-LOG_SNR_LIMIT, Math.min(LOG_SNR_LIMIT, value));
    return bottom - ((clipped + LOG_SNR_LIMIT) / (2 * LOG_SNR_LIMIT)) * (bottom - top);
  };
  const line = (values: Float32Array, toY: (value: number) => number, dash: number[]) => {
    context.setLineDash(dash);
    context.beginPath();
    for (let t = 0; t < values.length; t += 2) {
      // Timestep index t is the noise level after t + 1 steps.
      if (t === 0) context.moveTo(x(t + 1), toY(values[t]!));
      else context.lineTo(x(t + 1), toY(values[t]!));
    }
    context.stroke();
  };
  context.lineWidth = 2;
  context.strokeStyle = colours.accent;
  line(curves.linear.alphasCumprod, yAlpha, []);
  line(curves.cosine.alphasCumprod, yAlpha, [6, 4]);
  context.strokeStyle = colours.second;
  line(curves.linear.logSnr, ySnr, []);
  line(curves.cosine.logSnr, ySnr, [6, 4]);
  context.setLineDash([]);
  context.fillStyle = colours.ink;
  context.fillRect(0, bottom, width, 1);
  context.font = '10px system-ui, sans-serif';
  context.textBaseline = 'bottom';
  for (const tick of [0, 250, 500, 750, 1000]) {
    const left = Math.min(width - 24, Math.max(0, x(tick) - 8));
    context.fillText(String(tick), left, height);
  }
  if (cursor !== undefined) {
    context.fillStyle = colours.ink;
    context.fillRect(Math.min(width - 2, x(cursor)), top - 4, 2, bottom - top + 4);
  }
}
