import type { SchedulerConfigJson } from '../config.js';
import { SchedulerConfigError } from '../errors.js';
import type { Scheduler } from './scheduler.js';
import { DDIMInverseScheduler, DDIMParallelScheduler, DDIMScheduler } from './ddim.js';
import { DDPMScheduler } from './ddpm.js';
import { DEISMultistepScheduler } from './deis.js';
import { DPMSolverMultistepScheduler } from './dpm-solver.js';
import { LCMScheduler } from './lcm.js';
import { PNDMScheduler } from './pndm.js';
import { EulerAncestralDiscreteScheduler, EulerDiscreteScheduler } from './sigma-schedulers.js';
import { HeunDiscreteScheduler } from './heun.js';
import { LMSDiscreteScheduler } from './lms.js';
import { UniPCMultistepScheduler } from './unipc.js';
import { EDMDPMSolverMultistepScheduler, EDMEulerScheduler } from './edm.js';
import { DPMSolverMultistepInverseScheduler } from './dpm-inverse.js';
import { DPMSolverSinglestepScheduler } from './dpm-singlestep.js';
import { DPMSolverSDEScheduler } from './sde.js';
import { IPNDMScheduler } from './ipndm.js';
import { KDPM2AncestralDiscreteScheduler, KDPM2DiscreteScheduler } from './karras.js';
import { TCDScheduler } from './tcd.js';

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
  KDPM2DiscreteScheduler,
  KDPM2AncestralDiscreteScheduler,
  EDMEulerScheduler,
  IPNDMScheduler,
  TCDScheduler,
  DDIMInverseScheduler,
  DDIMParallelScheduler,
  DPMSolverSinglestepScheduler,
  DPMSolverSDEScheduler,
  EDMDPMSolverMultistepScheduler,
  DPMSolverMultistepInverseScheduler,
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
  kdpm2: { className: 'KDPM2DiscreteScheduler' },
  'kdpm2-ancestral': { className: 'KDPM2AncestralDiscreteScheduler' },
  'edm-euler': { className: 'EDMEulerScheduler' },
  ipndm: { className: 'IPNDMScheduler' },
  tcd: { className: 'TCDScheduler' },
  'ddim-inverse': { className: 'DDIMInverseScheduler' },
  'ddim-parallel': { className: 'DDIMParallelScheduler' },
  'dpmsolver-singlestep': { className: 'DPMSolverSinglestepScheduler' },
  'dpmsolver-sde': { className: 'DPMSolverSDEScheduler' },
  'edm-dpmsolver++': { className: 'EDMDPMSolverMultistepScheduler' },
  'dpmsolver-inverse': { className: 'DPMSolverMultistepInverseScheduler' },
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
    // Own keys only: `toString` and other Object.prototype names are not scheduler names.
    const friendly = Object.hasOwn(SCHEDULER_NAMES, name)
      ? (
          SCHEDULER_NAMES as Readonly<
            Record<string, { className: string; overrides?: SchedulerConfigJson }>
          >
        )[name]
      : undefined;
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
