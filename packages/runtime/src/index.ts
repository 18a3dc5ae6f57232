export { GenvizRuntime, configureRuntime } from './client.js';
export type {
  DataOptions,
  DuelMatrixOptions,
  ForwardOptions,
  LoadOptions,
  ModelCallOptions,
  ModelRef,
  ReadOptions,
  RuntimeOptions,
  SampleOptions,
} from './client-options.js';
export { GenvizError, isGenvizError } from './errors.js';
export type { GenvizErrorCode } from './errors.js';
export type {
  Device,
  DeviceChoice,
  DeviceOption,
  DtypeOption,
  EnvironmentReport,
} from './environment.js';
export type {
  DataFile,
  GanSnapshot,
  ManifestTensor,
  ModelDtype,
  ModelManifest,
  ModelVariant,
  NetworkManifest,
} from '@genviz/core';
export { DTYPE_SUFFIXES } from '@genviz/core';
export { clearModelCache } from './model-store.js';
export type { FileProgress } from './model-store.js';
export type {
  DataTensors,
  DiffusionResult,
  DiffusionSampleParams,
  DiffusionStep,
  ForwardParams,
  ForwardResult,
  DigitReading,
  DuelMatrixResult,
  DuelMatrixRow,
  HeldOutDigits,
  LoadedModel,
  ModelProgress,
  PixelRange,
} from './protocol.js';
