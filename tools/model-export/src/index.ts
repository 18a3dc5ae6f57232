export { ExportError } from './errors.js';
export { DTYPE_SUFFIXES, MODEL_DTYPES, isModelDtype, variantFileName } from './dtypes.js';
export type { ModelDtype } from './dtypes.js';
export { MANIFEST_SCHEMA_VERSION } from '@genviz/core';
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
} from '@genviz/core';
export { SafetensorsFile, writeSafetensors, MAX_HEADER_BYTES } from './safetensors.js';
export type { TensorInfo, TensorData, SafetensorsDtype } from './safetensors.js';
export { readModelConfig } from './config.js';
export type { ModelConfig, NetworkConfig, TensorSpec } from './config.js';
export { ARCHITECTURES } from './architectures/registry.js';
export {
  convOutputSize,
  convTransposeOutputSize,
  defineArchitecture,
} from './architectures/architecture.js';
export type { Architecture, NetworkBuilder } from './architectures/architecture.js';
export { buildNetwork, convertNetwork, expectedWeights } from './convert.js';
export { ONNX_OPSET } from './onnx/builder.js';
export { readOnnxModel } from './onnx/reader.js';
export { writeOnnxModel } from './onnx/writer.js';
export { quantizeFile, toFloat16, toInt8Weights } from './quantize.js';
export { VERIFY_THRESHOLDS, verifyVariant, loadReference, runOnnx } from './verify.js';
export type { VariantVerification, OutputMetrics } from './verify.js';
export { buildAll } from './build.js';
export type { BuildOptions, BuildResult } from './build.js';
export { packModel, packDataset, stageModel, verifyModel } from './pack.js';
export {
  ArrayFilesReference,
  LayeredReference,
  SafetensorsReference,
  parseNpy,
  parseRawFloat32,
} from './reference.js';
export type { ArrayFile, ReferenceSource } from './reference.js';
export type { Reporter } from './reporter.js';
