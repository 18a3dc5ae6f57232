import { scheduleFromConfig } from '@genviz/core';
import type { SchedulerConfigJson } from '@genviz/core';
import { html } from 'lit';
import type { TemplateResult } from 'lit';
import { drawLinePlot } from '../kit/draw.js';

/** The forward process's length: t runs from 0 (the image) to 1000 (pure noise). */
export const TRAIN_STEPS = 1000;
const LOG_SNR_LIMIT = 12;

interface Curves {
  alphasCumprod: Float32Array;
  logSnr: Float32Array;
}
export interface ScheduleCurves {
  linear: Curves;
  cosine: Curves;
}

const cache = new Map<string, ScheduleCurves>();
/** The same, by config object: asked on every update of every stepper, so no JSON each time. */
const byConfig = new WeakMap<object, ScheduleCurves>();
const NO_CONFIG = {};

/** alpha-bar and log-SNR of the linear and the cosine schedule, for the model's config. */
export function scheduleCurves(
  config: Readonly<Record<string, unknown>> | undefined,
): ScheduleCurves {
  const known = byConfig.get(config ?? NO_CONFIG);
  if (known) return known;
  const base = { num_train_timesteps: TRAIN_STEPS, ...(config ?? {}) } as SchedulerConfigJson;
  const key = JSON.stringify(base);
  let curves = cache.get(key);
  if (!curves) {
    const linear = scheduleFromConfig({ ...base, beta_schedule: 'linear', trained_betas: null });
    const cosine = scheduleFromConfig({
      ...base,
      beta_schedule: 'squaredcos_cap_v2',
      trained_betas: null,
    });
    curves = { linear, cosine };
    cache.set(key, curves);
  }
  byConfig.set(config ?? NO_CONFIG, curves);
  return curves;
}

/**
 * alpha-bar (left axis, 0..1) and log-SNR (right axis, clipped to +-12) over t, solid for the
 * linear schedule and dashed for the cosine one, with a cursor at t (none when undefined).
 */
export function drawSchedule(
  canvas: HTMLCanvasElement | null,
  curves: ScheduleCurves,
  cursor: number | undefined,
): void {
  drawLinePlot(
    canvas,
    [
      { values: curves.linear.alphasCumprod, axis: 'left', colour: 'accent' },
      { values: curves.cosine.alphasCumprod, axis: 'left', colour: 'accent', dashed: true },
      { values: curves.linear.logSnr, axis: 'right', colour: 'second' },
      { values: curves.cosine.logSnr, axis: 'right', colour: 'second', dashed: true },
    ],
    {
      xMax: curves.linear.alphasCumprod.length,
      // Timestep index t is the noise level after t + 1 steps.
      xOffset: 1,
      stride: 2,
      left: [0, 1],
      right: [-LOG_SNR_LIMIT, LOG_SNR_LIMIT],
      xTicks: [0, 250, 500, 750, 1000],
      cursor,
    },
  );
}

export function renderSchedule(caption: string): TemplateResult {
  return html`<figure class="schedule">
    <canvas
      part="schedule"
      width="320"
      height="150"
      role="img"
      aria-label="Noise schedules: alpha-bar falls from 1 to 0 and log-SNR from about 9 to -10 over t = 0 to 1000; the cosine schedule keeps more signal in the middle. ${caption}"
    ></canvas>
    <figcaption>
      <span class="key accent">— ᾱ<sub>t</sub></span>
      <span class="key second">— log SNR</span>
      <span class="key">solid: linear, dashed: cosine</span>
      <span>${caption}</span>
    </figcaption>
  </figure>`;
}
