import { SCHEDULER_CLASSES, SCHEDULER_NAMES, schedulerForSampling } from '@genviz/core';
import type { SchedulerConfigJson } from '@genviz/core';
import type { DeviceOption } from '@genviz/runtime';
import { html, nothing } from 'lit';
import type { TemplateResult } from 'lit';
import { describeValue, digitConverter, messageOf } from '../kit/format.js';
import type { GenvizDiffusionStepper } from './diffusion-stepper.js';
import { TRAIN_STEPS } from './schedule.js';

/** What the element shows: the forward (noising) process, the reverse process, or the race. */
export type DiffusionStepperMode = 'forward' | 'reverse' | 'race' | 'live';

export const MODES: readonly DiffusionStepperMode[] = ['forward', 'reverse', 'race', 'live'];
export const MODE_LABELS: Readonly<Record<DiffusionStepperMode, string>> = {
  forward: 'Forward process',
  reverse: 'Reverse process',
  race: 'Race',
  live: 'Live (4 steps)',
};

/** Where the reverse process runs: on pixels, or in an autoencoder's latent space. */
export type DiffusionSpace = 'pixel' | 'latent';
const DEVICES: readonly DeviceOption[] = ['auto', 'webgpu', 'wasm'];
export const MAX_GUIDANCE = 20;

/** Friendly scheduler names with the label a reader sees. */
const SCHEDULER_LABELS: Record<string, string> = {
  ddpm: 'DDPM',
  ddim: 'DDIM',
  euler: 'Euler',
  'euler-ancestral': 'Euler ancestral',
  'dpmsolver++': 'DPM-Solver++',
  'dpmsolver++-karras': 'DPM-Solver++ (Karras)',
  heun: 'Heun',
  lms: 'LMS',
  pndm: 'PNDM',
  lcm: 'LCM',
  unipc: 'UniPC',
  deis: 'DEIS',
  kdpm2: 'KDPM2',
  'kdpm2-ancestral': 'KDPM2 ancestral',
  'dpmsolver-singlestep': 'DPM-Solver singlestep',
  'dpmsolver-sde': 'DPM-Solver++ SDE',
  tcd: 'TCD',
};

/**
 * Core schedulers a reader gains nothing from here: inversion (noise from an image, not an
 * image from noise), DDIM again under its parallel name, and the EDM / iPNDM ones, which bring
 * their own noise schedule instead of the model's.
 */
const NOT_SHOWN = new Set([
  'ddim-inverse',
  'dpmsolver-inverse',
  'ddim-parallel',
  'edm-euler',
  'edm-dpmsolver++',
  'ipndm',
]);

/** Every scheduler the core implements that samples with the model's schedule, by friendly name. */
export const schedulerNames = (): string[] =>
  Object.keys(SCHEDULER_NAMES).filter((name) => !NOT_SHOWN.has(name));
export const schedulerLabel = (name: string): string => SCHEDULER_LABELS[name] ?? name;

/** The config a step count is checked against before the model's own config is known. */
const DEFAULT_SCHEDULER_CONFIG: SchedulerConfigJson = { num_train_timesteps: TRAIN_STEPS };

/**
 * Whether the scheduler can run `steps` steps on this config (LCM takes at most its
 * original_inference_steps), asked of the scheduler itself so every limit core knows is checked
 * before a run, not during it.
 */
function stepsProblem(
  scheduler: string,
  steps: number,
  config: Readonly<Record<string, unknown>> | undefined,
  sampling: Readonly<Record<string, unknown>> | undefined,
): string | undefined {
  // Validation runs on every update (every streamed step) of every stepper on the page, each
  // with its own copy of the manifest: ask the scheduler once per question, remembered per
  // config object (building a scheduler computes its whole noise schedule).
  const byConfig =
    checked.get(config ?? DEFAULT_SCHEDULER_CONFIG) ?? new Map<string, string | undefined>();
  checked.set(config ?? DEFAULT_SCHEDULER_CONFIG, byConfig);
  const key = `${scheduler}\u0000${steps}\u0000${sampling === undefined ? '' : JSON.stringify(sampling)}`;
  if (byConfig.has(key)) return byConfig.get(key);
  const problem = askScheduler(scheduler, steps, config, sampling);
  byConfig.set(key, problem);
  return problem;
}

const checked = new WeakMap<object, Map<string, string | undefined>>();

function askScheduler(
  scheduler: string,
  steps: number,
  config: Readonly<Record<string, unknown>> | undefined,
  sampling: Readonly<Record<string, unknown>> | undefined,
): string | undefined {
  try {
    schedulerForSampling(
      (config ?? DEFAULT_SCHEDULER_CONFIG) as SchedulerConfigJson,
      sampling,
      scheduler,
      steps,
    );
    return undefined;
  } catch (error) {
    return `${schedulerLabel(scheduler)} cannot take ${steps} steps: ${messageOf(error)}.`;
  }
}

const wholeIn = (value: number, min: number, max: number) =>
  Number.isInteger(value) && value >= min && value <= max;

/** Every rejected setting of the element, as a sentence the reader and the author can act on. */
export function settingsProblems(
  element: GenvizDiffusionStepper,
  model:
    | {
        scheduler?: Readonly<Record<string, unknown>>;
        sampling?: Readonly<Record<string, unknown>>;
      }
    | undefined,
): string[] {
  const problems: string[] = [];
  const quoted = (attribute: string, value: unknown) => describeValue(element, attribute, value);
  const names = schedulerNames();
  if (!MODES.includes(element.mode)) {
    problems.push(`mode must be forward, reverse, race or live, not "${String(element.mode)}".`);
  } else if (element.mode === 'live' && !element.consistencyModel) {
    problems.push('mode="live" needs a consistency-model.');
  }
  const { noiseSeed } = element;
  if (!Number.isInteger(noiseSeed) || noiseSeed < 0 || noiseSeed >= 2 ** 32) {
    problems.push(
      `noise-seed must be a whole number from 0 to 4294967295, not ${quoted('noise-seed', noiseSeed)}.`,
    );
  }
  if (!['pixel', 'latent'].includes(element.space)) {
    problems.push(`space must be pixel or latent, not "${String(element.space)}".`);
  } else if (element.space === 'latent' && !element.latentModel) {
    problems.push('space="latent" needs a latent-model.');
  }
  if (element.device !== undefined && !DEVICES.includes(element.device)) {
    problems.push(`device must be auto, webgpu or wasm, not "${String(element.device)}".`);
  }
  const stepsValid = wholeIn(element.steps, 1, TRAIN_STEPS);
  if (!stepsValid) {
    problems.push(
      `steps must be a whole number from 1 to ${TRAIN_STEPS}, not ${quoted('steps', element.steps)}.`,
    );
  }
  const schedulerKnown =
    names.includes(element.scheduler) || Object.hasOwn(SCHEDULER_CLASSES, element.scheduler);
  if (!schedulerKnown) {
    problems.push(`Unknown scheduler "${element.scheduler}"; use one of ${names.join(', ')}.`);
  } else if (stepsValid) {
    const problem = stepsProblem(
      element.scheduler,
      element.steps,
      model?.scheduler,
      model?.sampling,
    );
    if (problem) problems.push(problem);
  }
  const { digit } = element;
  if (digit !== null && !wholeIn(digit, 0, 9)) {
    problems.push(`digit must be 0 to 9 or none, not ${String(digit)}.`);
  }
  const { guidance } = element;
  if (!Number.isFinite(guidance) || guidance < 0 || guidance > MAX_GUIDANCE) {
    problems.push(
      `guidance must be a number from 0 to ${MAX_GUIDANCE}, not ${quoted('guidance', guidance)}.`,
    );
  }
  const seedProblem = seedProblemOf(element);
  if (seedProblem) problems.push(seedProblem);
  const { timestep } = element;
  if (!Number.isFinite(timestep) || timestep < 0 || timestep > TRAIN_STEPS) {
    problems.push(
      `timestep must be from 0 to ${TRAIN_STEPS}, not ${quoted('timestep', timestep)}.`,
    );
  }
  if (!wholeIn(element.raceSteps, 1, TRAIN_STEPS)) {
    problems.push(
      `race-steps must be a whole number from 1 to ${TRAIN_STEPS}, not ${quoted('race-steps', element.raceSteps)}.`,
    );
  }
  return problems;
}

export function seedProblemOf(element: GenvizDiffusionStepper): string | undefined {
  const { seed } = element;
  if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) {
    return `seed must be a whole number from 0 to 4294967295, not ${describeValue(element, 'seed', seed)}.`;
  }
  return undefined;
}

const numberFrom = (event: Event) => (event.target as HTMLInputElement).valueAsNumber;

/** Digit, guidance, and (with `withSampler`) scheduler and steps, and the seed. */
export function renderSettings(
  element: GenvizDiffusionStepper,
  withSampler: boolean,
  busy: boolean,
): TemplateResult {
  return html`<div part="controls">
    <label>
      <span>Digit</span>
      <select
        @change=${(event: Event) =>
          (element.digit = digitConverter.fromAttribute((event.target as HTMLSelectElement).value))}
      >
        <option value="none" ?selected=${element.digit === null}>none</option>
        ${Array.from(
          { length: 10 },
          (_, d) => html`<option value=${d} ?selected=${element.digit === d}>${d}</option>`,
        )}
      </select>
    </label>
    <label class="guidance-field">
      <span>Guidance</span>
      <input
        part="slider guidance-slider"
        type="range"
        min="0"
        max=${MAX_GUIDANCE}
        step="0.5"
        .value=${String(element.guidance)}
        ?disabled=${element.digit === null}
        @change=${(event: Event) => (element.guidance = numberFrom(event))}
      />
      <output>${element.guidance}</output>
    </label>
    ${
      withSampler
        ? html`<label>
              <span>Scheduler</span>
              <select
                .value=${element.scheduler}
                @change=${(event: Event) =>
                  (element.scheduler = (event.target as HTMLSelectElement).value)}
              >
                ${schedulerNames().map(
                  (name) =>
                    html`<option value=${name} ?selected=${name === element.scheduler}>
                      ${schedulerLabel(name)}
                    </option>`,
                )}
              </select>
            </label>
            <label>
              <span>Steps</span>
              <input
                type="number"
                min="1"
                max=${TRAIN_STEPS}
                .value=${String(element.steps)}
                @change=${(event: Event) => (element.steps = numberFrom(event))}
              />
            </label>`
        : nothing
    }
    <label>
      <span>Seed</span>
      <input
        type="number"
        min="0"
        step="1"
        .value=${String(element.seed)}
        @change=${(event: Event) => (element.seed = numberFrom(event))}
      />
    </label>
    ${busy ? html`<span class="hint">Changing a setting stops the run.</span>` : nothing}
  </div>`;
}
