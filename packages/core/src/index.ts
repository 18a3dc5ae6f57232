export { SchedulerConfigError } from './errors.js';
export type { SchedulerConfigJson } from './config.js';
export { parseSchedulerConfig } from './config.js';
export { TorchGenerator } from './torch-rng.js';
export { BrownianTree } from './brownian-tree.js';
export { NormalGenerator } from './rng.js';
export type { NoiseSource } from './rng.js';
export {
  BETA_SCHEDULES,
  DDPM_SCHEDULE_DEFAULTS,
  LATENT_SCHEDULE_DEFAULTS,
  computeBetas,
  cosineBetas,
  expBetas,
  createNoiseSchedule,
  readScheduleConfig,
  rescaleZeroTerminalSnr,
  scheduleFromConfig,
  torchLinspaceFloat32,
} from './schedules.js';
export type { BetaSchedule, NoiseSchedule, ScheduleConfig, ScheduleDefaults } from './schedules.js';
export {
  SIGMA_RAMPS,
  TIMESTEP_SPACINGS,
  betaSigmas,
  exponentialSigmas,
  karrasSigmas,
  rampSigmas,
  sigmaToTimestep,
  spacedTimesteps,
} from './timesteps.js';
export type { SigmaRamp, TimestepSpacing } from './timesteps.js';
export { betaQuantile } from './beta-quantile.js';
export { applyGuidance, clipInPlace, thresholdInPlace } from './tensor-ops.js';
export type { NoiseInput } from './tensor-ops.js';
export { PREDICTION_TYPES } from './schedulers/scheduler.js';
export type {
  PredictionType,
  Scheduler,
  SetTimestepsOptions,
  StepOptions,
  StepOutput,
} from './schedulers/scheduler.js';
export { DDPMScheduler, DDPM_VARIANCE_TYPES } from './schedulers/ddpm.js';
export type { DdpmVarianceType } from './schedulers/ddpm.js';
export { DDIMInverseScheduler, DDIMParallelScheduler, DDIMScheduler } from './schedulers/ddim.js';
export { EDMDPMSolverMultistepScheduler, EDMEulerScheduler } from './schedulers/edm.js';
export { DPMSolverMultistepInverseScheduler } from './schedulers/dpm-inverse.js';
export { DPMSolverSinglestepScheduler } from './schedulers/dpm-singlestep.js';
export { DPMSolverSDEScheduler } from './schedulers/sde.js';
export { IPNDMScheduler } from './schedulers/ipndm.js';
export { KDPM2AncestralDiscreteScheduler, KDPM2DiscreteScheduler } from './schedulers/karras.js';
export { TCDScheduler } from './schedulers/tcd.js';
export {
  EulerAncestralDiscreteScheduler,
  EulerDiscreteScheduler,
} from './schedulers/sigma-schedulers.js';
export { HeunDiscreteScheduler } from './schedulers/heun.js';
export { LMSDiscreteScheduler } from './schedulers/lms.js';
export { DPMSolverMultistepScheduler } from './schedulers/dpm-solver.js';
export { LCMScheduler } from './schedulers/lcm.js';
export { PNDMScheduler } from './schedulers/pndm.js';
export { UniPCMultistepScheduler } from './schedulers/unipc.js';
export { DEISMultistepScheduler } from './schedulers/deis.js';
export { SCHEDULER_CLASSES, SCHEDULER_NAMES, createScheduler } from './schedulers/index.js';
export type { CreateSchedulerOptions, SchedulerName } from './schedulers/index.js';
export { addNoise, forwardTrajectory, noiseFromSample, snrAt } from './forward.js';
export { latentGrid, lerp, slerp } from './latent.js';
export type { LatentRange } from './latent.js';
export { LUMA_WEIGHTS, meanGradientMagnitude, rgbaToTensor, tensorToRgba } from './image.js';
export type { ImageShape, ValueRange } from './image.js';
export { DTYPE_SUFFIXES, MODEL_DTYPES, isModelDtype, variantFileName } from './model-dtypes.js';
export type { ModelDtype } from './model-dtypes.js';
export { MANIFEST_SCHEMA_VERSION } from './manifest.js';
export type {
  AnyManifest,
  DataFile,
  DatasetManifest,
  GanSnapshot,
  ManifestTask,
  ManifestTensor,
  ModelManifest,
  ModelVariant,
  NetworkManifest,
  VerifiedOutput,
} from './manifest.js';
export { isGuided, sampleGuided, samplingDefaults, schedulerForSampling } from './sampling.js';
export type {
  DenoiserCall,
  GuidedSamplingOptions,
  GuidedSamplingResult,
  GuidedStepState,
  ModelSamplingDefaults,
} from './sampling.js';
