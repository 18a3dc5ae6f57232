import ort from 'onnxruntime-node';
import { join } from 'node:path';
import type { NetworkConfig, TensorSpec } from './config.js';
import type { ModelDtype } from './dtypes.js';
import { ExportError } from './errors.js';
import { SafetensorsReference } from './reference.js';
import type { ReferenceSource } from './reference.js';
import { elementCount, toFloat32 } from './safetensors.js';
import type { TensorData } from './safetensors.js';

/** Input values for a run: float32 or int64 data with a shape. */
export interface FeedTensor {
  readonly dtype: 'float32' | 'int64';
  readonly shape: readonly number[];
  readonly data: Float32Array | BigInt64Array;
}

export interface OutputTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export interface OutputMetrics {
  readonly name: string;
  readonly maxAbs: number;
  readonly meanAbs: number;
  /** Peak signal-to-noise ratio in dB; null when the outputs are identical. */
  readonly psnrDb: number | null;
  /** The peak used for PSNR: the declared value range's width, else the reference's data range. */
  readonly peak: number;
  /** For logits: the share of rows whose argmax (or sign, for one logit) matches the reference. */
  readonly decisionAgreement?: number;
}

export interface VariantVerification {
  readonly network: string;
  readonly dtype: ModelDtype;
  readonly file: string;
  readonly passed: boolean;
  readonly outputs: readonly OutputMetrics[];
  /** What failed and by how much, one sentence each. */
  readonly failures: readonly string[];
  /** What the variant was compared with. */
  readonly against: 'pytorch-reference' | 'fp32-onnx';
}

/**
 * Pass marks per dtype. fp32 must match PyTorch to float rounding. Quantized variants are judged
 * by PSNR: 35 dB on a [0, 1] image is an RMS error of 1.8% of full scale (about 4.5 of 255 grey
 * levels), 30 dB about 8: side by side the digits look the same. Classifier and discriminator
 * logits must also make the same decision on every reference input that PyTorch decides by at
 * least DECISION_MARGIN.
 */
export const VERIFY_THRESHOLDS: Readonly<
  Record<
    ModelDtype,
    {
      readonly maxAbs?: number;
      readonly minPsnrDb?: number;
      readonly minDecisionAgreement?: number;
    }
  >
> = Object.freeze({
  fp32: Object.freeze({ maxAbs: 1e-4 }),
  fp16: Object.freeze({ minPsnrDb: 35, minDecisionAgreement: 1 }),
  int8: Object.freeze({ minPsnrDb: 30, minDecisionAgreement: 1 }),
});

/**
 * Logits closer than this to the decision boundary (a binary logit this close to 0, or a top class
 * this close to the runner-up) are not compared: P(real) within ~1.2% of 0.5 is a coin toss, and a
 * well-trained GAN's discriminator sits near 0.5 on everything, so the reference inputs of a good
 * GAN land there and int8 rounding (~0.02 of a logit) would flip them at random.
 */
export const DECISION_MARGIN = 0.05;

/**
 * Reads the `<network>.<io name>` tensors (inputs and PyTorch's outputs) from `reference`: a
 * ReferenceSource, or the path of a reference.safetensors.
 */
export async function loadReference(
  reference: ReferenceSource | string,
  network: string,
  net: NetworkConfig,
): Promise<{ inputs: Record<string, FeedTensor>; outputs: Record<string, OutputTensor> }> {
  const source =
    typeof reference === 'string' ? await SafetensorsReference.open(reference) : reference;
  try {
    const inputs: Record<string, FeedTensor> = {};
    for (const spec of net.inputs) {
      const key = `${network}.${spec.name}`;
      if (!source.has(key))
        throw new ExportError(
          `missing reference input "${key}" (needed to verify ${network}); put it in reference.safetensors or give it with --ref ${key}=<file.npy>`,
        );
      const file = source.fileOf(key);
      const tensor = await source.read(key);
      assertShape(spec, tensor.shape, file, key);
      inputs[spec.name] =
        spec.dtype === 'int64'
          ? { dtype: 'int64', shape: tensor.shape, data: toInt64(tensor, file, key) }
          : { dtype: 'float32', shape: tensor.shape, data: toFloat32(tensor, file) };
    }
    const outputs: Record<string, OutputTensor> = {};
    for (const spec of net.outputs) {
      const key = `${network}.${spec.name}`;
      if (!source.has(key))
        throw new ExportError(
          `missing reference output "${key}" (needed to verify ${network}); put it in reference.safetensors or give it with --ref ${key}=<file.npy>`,
        );
      const file = source.fileOf(key);
      const tensor = await source.read(key);
      assertShape(spec, tensor.shape, file, key);
      outputs[spec.name] = { shape: tensor.shape, data: toFloat32(tensor, file) };
    }
    return { inputs, outputs };
  } finally {
    if (typeof reference === 'string') await source.close();
  }
}

/** An int64 network input from I64/I32 data, or from floats that hold whole numbers (raw float32). */
function toInt64(tensor: TensorData, file: string, key: string): BigInt64Array {
  const view = new DataView(tensor.bytes.buffer, tensor.bytes.byteOffset, tensor.bytes.byteLength);
  const count = elementCount(tensor.shape);
  if (tensor.dtype === 'I64')
    return BigInt64Array.from({ length: count }, (_, i) => view.getBigInt64(i * 8, true));
  if (tensor.dtype === 'I32')
    return BigInt64Array.from({ length: count }, (_, i) => BigInt(view.getInt32(i * 4, true)));
  if (tensor.dtype === 'F32' || tensor.dtype === 'F64') {
    const values = toFloat32(tensor, file);
    const bad = values.findIndex((v) => !Number.isInteger(v));
    if (bad >= 0)
      throw new ExportError(
        `the network input is int64, but element ${bad} is ${values[bad]}, not a whole number`,
        { file, tensor: key },
      );
    return BigInt64Array.from(values, (v) => BigInt(v));
  }
  throw new ExportError(`is ${tensor.dtype}, the network input is int64`, { file, tensor: key });
}

function assertShape(
  spec: TensorSpec,
  shape: readonly number[],
  file: string,
  tensor: string,
): void {
  const fits =
    shape.length === spec.shape.length &&
    spec.shape.every((dim, i) => typeof dim === 'string' || dim === shape[i]);
  if (!fits)
    throw new ExportError(
      `has shape [${shape.join(', ')}], config.json says [${spec.shape.join(', ')}]`,
      { file, tensor },
    );
}

/**
 * One session per call: verify runs each variant once. Threads are capped because builds share
 * the machine (and parallel kernels make no difference at these sizes).
 */
export async function runOnnx(
  path: string,
  feeds: Record<string, FeedTensor>,
): Promise<Record<string, OutputTensor>> {
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(path, {
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
    });
  } catch (error) {
    throw new ExportError(`onnxruntime cannot load the model: ${(error as Error).message}`, {
      file: path,
      cause: error,
    });
  }
  try {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, feed] of Object.entries(feeds))
      ortFeeds[name] = new ort.Tensor(feed.dtype, feed.data, [...feed.shape]);
    let results: ort.InferenceSession.OnnxValueMapType;
    try {
      results = await session.run(ortFeeds);
    } catch (error) {
      throw new ExportError(`onnxruntime failed to run the model: ${(error as Error).message}`, {
        file: path,
        cause: error,
      });
    }
    const out: Record<string, OutputTensor> = {};
    for (const [name, value] of Object.entries(results)) {
      const tensor = value as ort.Tensor;
      out[name] = { shape: tensor.dims, data: tensor.data as Float32Array };
    }
    return out;
  } finally {
    await session.release();
  }
}

/**
 * Fails with one line when onnxruntime cannot load the model at `path` (a type error in the
 * graph, an op without a kernel): quantize checks what it wrote before it shows it under
 * `shownAs`, its final name.
 */
export async function assertLoads(path: string, shownAs = path): Promise<void> {
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(path, {
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
    });
  } catch (error) {
    throw new ExportError(
      `onnxruntime cannot load the written model, so it was not kept: ${(error as Error).message.split('\n')[0]}`,
      { file: shownAs, cause: error },
    );
  }
  await session.release();
}

export function compareOutput(
  spec: TensorSpec,
  actual: OutputTensor,
  expected: OutputTensor,
): OutputMetrics {
  const a = actual.data;
  const e = expected.data;
  if (a.length !== e.length) {
    throw new ExportError(
      `output "${spec.name}" has ${a.length} values, the reference ${e.length}`,
    );
  }
  let maxAbs = 0;
  let sumAbs = 0;
  let sumSquares = 0;
  let low = Infinity;
  let high = -Infinity;
  for (let i = 0; i < a.length; i++) {
    const difference = Math.abs(a[i]! - e[i]!);
    if (!(difference <= maxAbs))
      maxAbs = Number.isNaN(difference) ? Infinity : Math.max(maxAbs, difference);
    sumAbs += difference;
    sumSquares += difference * difference;
    low = Math.min(low, e[i]!);
    high = Math.max(high, e[i]!);
  }
  const peak = spec.range ? spec.range[1] - spec.range[0] : Math.max(high - low, 1e-12);
  const mse = sumSquares / a.length;
  const metrics: OutputMetrics = {
    name: spec.name,
    maxAbs,
    meanAbs: sumAbs / a.length,
    psnrDb: mse === 0 ? null : 10 * Math.log10((peak * peak) / mse),
    peak,
  };
  if (!spec.name.startsWith('logit')) return metrics;
  const rows = expected.shape[0] ?? 1;
  const width = e.length / rows;
  let agree = 0;
  let decisive = 0;
  for (let row = 0; row < rows; row++) {
    if (width === 1) {
      if (Math.abs(e[row]!) < DECISION_MARGIN) continue;
      decisive++;
      if (a[row]! > 0 === e[row]! > 0) agree++;
    } else {
      const start = row * width;
      const best = argmax(e, start, width);
      let runnerUp = -Infinity;
      for (let i = 0; i < width; i++) if (i !== best) runnerUp = Math.max(runnerUp, e[start + i]!);
      if (e[start + best]! - runnerUp < DECISION_MARGIN) continue;
      decisive++;
      if (argmax(a, start, width) === best) agree++;
    }
  }
  return { ...metrics, decisionAgreement: decisive === 0 ? 1 : agree / decisive };
}

function argmax(values: Float32Array, start: number, length: number): number {
  let best = 0;
  for (let i = 1; i < length; i++) if (values[start + i]! > values[start + best]!) best = i;
  return best;
}

export function judge(dtype: ModelDtype, metrics: readonly OutputMetrics[]): string[] {
  const limits = VERIFY_THRESHOLDS[dtype];
  const failures: string[] = [];
  for (const m of metrics) {
    if (limits.maxAbs !== undefined && !(m.maxAbs <= limits.maxAbs)) {
      failures.push(
        `${m.name}: max abs error ${m.maxAbs.toExponential(2)} > ${limits.maxAbs.toExponential(0)}`,
      );
    }
    if (limits.minPsnrDb !== undefined && m.psnrDb !== null && !(m.psnrDb >= limits.minPsnrDb)) {
      failures.push(`${m.name}: PSNR ${m.psnrDb.toFixed(1)} dB < ${limits.minPsnrDb} dB`);
    }
    if (
      limits.minDecisionAgreement !== undefined &&
      m.decisionAgreement !== undefined &&
      m.decisionAgreement < limits.minDecisionAgreement
    ) {
      failures.push(
        `${m.name}: decisions agree on ${(m.decisionAgreement * 100).toFixed(1)}% of the inputs decided by >= ${DECISION_MARGIN} < ${limits.minDecisionAgreement * 100}%`,
      );
    }
  }
  return failures;
}

export interface VerifyVariantOptions {
  readonly network: string;
  readonly dtype: ModelDtype;
  readonly path: string;
  readonly outputs: readonly TensorSpec[];
  readonly inputs: Record<string, FeedTensor>;
  readonly expected: Record<string, OutputTensor>;
  readonly against: VariantVerification['against'];
}

export async function verifyVariant(options: VerifyVariantOptions): Promise<VariantVerification> {
  let actual: Record<string, OutputTensor>;
  try {
    actual = await runOnnx(options.path, options.inputs);
  } catch (error) {
    // A variant onnxruntime cannot load or run fails verify like one that runs wrong: build drops
    // a quantized one with a warning, pack names it.
    if (!(error instanceof ExportError)) throw error;
    return {
      network: options.network,
      dtype: options.dtype,
      file: options.path,
      passed: false,
      outputs: [],
      failures: [error.message.replace(`${options.path}: `, '')],
      against: options.against,
    };
  }
  const metrics = options.outputs.map((spec) => {
    const got = actual[spec.name];
    const want = options.expected[spec.name];
    if (got === undefined || want === undefined)
      throw new ExportError(`output "${spec.name}" is missing`, { file: options.path });
    return compareOutput(spec, got, want);
  });
  const failures = judge(options.dtype, metrics);
  return {
    network: options.network,
    dtype: options.dtype,
    file: options.path,
    passed: failures.length === 0,
    outputs: metrics,
    failures,
    against: options.against,
  };
}

export function referencePath(modelDir: string): string {
  return join(modelDir, 'reference.safetensors');
}
