import type { SchedulerConfigJson } from '../config.js';
import { SchedulerConfigError } from '../errors.js';
import type { Scheduler } from './base.js';
import { DDIMScheduler } from './ddim.js';
import { DDPMScheduler } from './ddpm.js';
import { DEISMultistepScheduler } from './deis.js';
import { DPMSolverMultistepScheduler } from './dpm-solver.js';
import { LCMScheduler, PNDMScheduler } from './pndm.js';
import {
  EulerAncestralDiscreteScheduler,
  EulerDiscreteScheduler,
  HeunDiscreteScheduler,
  LMSDiscreteScheduler,
} from './sigma-schedulers.js';
import { UniPCMultistepScheduler } from './unipc.js';

type SchedulerConstructor = new (json: SchedulerConfigJson) => Scheduler;

/** diffusers class names we implement. */
export const SCHEDULER_CLASSES: Readonly<Record<string, SchedulerConstructor>> = Object.freeze({
  DDPMScheduler,
  DDIMScheduler,
  EulerDiscreteScheduler,
  EulerAncestralDiscreteScheduler,
  DPMSolverMultistepScheduler,
  HeunDiscreteScheduler,
  LMSDiscreteScheduler,
  PNDMScheduler,
  LCMScheduler,
  UniPCMultistepScheduler,
  DEISMultistepScheduler,
});

/** Friendly names -> diffusers class name (and config overrides, e.g. Karras sigmas). */
export const SCHEDULER_NAMES = Object.freeze({
  ddpm: { className: 'DDPMScheduler' },
  ddim: { className: 'DDIMScheduler' },
  euler: { className: 'EulerDiscreteScheduler' },
  'euler-ancestral': { className: 'EulerAncestralDiscreteScheduler' },
  'dpmsolver++': {
    className: 'DPMSolverMultistepScheduler',
    overrides: { algorithm_type: 'dpmsolver++' },
  },
  'dpmsolver++-karras': {
    className: 'DPMSolverMultistepScheduler',
    overrides: { algorithm_type: 'dpmsolver++', use_karras_sigmas: true },
  },
  heun: { className: 'HeunDiscreteScheduler' },
  lms: { className: 'LMSDiscreteScheduler' },
  pndm: { className: 'PNDMScheduler' },
  lcm: { className: 'LCMScheduler' },
  unipc: { className: 'UniPCMultistepScheduler' },
  deis: { className: 'DEISMultistepScheduler' },
} as const satisfies Record<string, { className: string; overrides?: SchedulerConfigJson }>);
export type SchedulerName = keyof typeof SCHEDULER_NAMES;

export interface CreateSchedulerOptions {
  /** A friendly name or diffusers class name overriding `_class_name`. */
  readonly name?: SchedulerName | string;
  /** Extra config keys (snake_case), applied over the JSON. */
  readonly overrides?: SchedulerConfigJson;
}

/**
 * Builds a scheduler from a diffusers `scheduler_config.json` (parsed). `_class_name` picks the
 * class unless `options.name` overrides it; keys of other schedulers are ignored like diffusers'
 * from_config does, so a DDPM training config can drive any sampler.
 */
export function createScheduler(
  json: SchedulerConfigJson,
  options: CreateSchedulerOptions = {},
): Scheduler {
  let className: string;
  let overrides: SchedulerConfigJson = {};
  const name = options.name;
  if (name !== undefined) {
    const friendly = (
      SCHEDULER_NAMES as Readonly<
        Record<string, { className: string; overrides?: SchedulerConfigJson }>
      >
    )[name];
    if (friendly) {
      className = friendly.className;
      overrides = friendly.overrides ?? {};
    } else {
      className = name;
    }
  } else {
    const value = json['_class_name'];
    if (typeof value !== 'string') {
      throw new SchedulerConfigError(
        '_class_name',
        'missing; pass options.name or a config with _class_name',
      );
    }
    className = value;
  }
  const constructor = Object.hasOwn(SCHEDULER_CLASSES, className)
    ? SCHEDULER_CLASSES[className]
    : undefined;
  if (!constructor) {
    throw new SchedulerConfigError(
      name !== undefined ? 'name' : '_class_name',
      `unknown scheduler ${JSON.stringify(className)}; expected one of ${[...Object.keys(SCHEDULER_NAMES), ...Object.keys(SCHEDULER_CLASSES)].join(', ')}`,
    );
  }
  return new constructor({ ...json, ...overrides, ...options.overrides });
}
