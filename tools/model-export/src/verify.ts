import ort from 'onnxruntime-node';
import { join } from 'node:path';
import type { NetworkConfig, TensorSpec } from './config.js';
import type { ModelDtype } from './dtypes.js';
import { ExportError } from './errors.js';
import { SafetensorsFile, elementCount, toFloat32 } from './safetensors.js';

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

/** Reads `<network>.<io name>` tensors from reference.safetensors (inputs and PyTorch outputs). */
export async function loadReference(
  referencePath: string,
  network: string,
  net: NetworkConfig,
): Promise<{ inputs: Record<string, FeedTensor>; outputs: Record<string, OutputTensor> }> {
  const file = await SafetensorsFile.open(referencePath);
  try {
    const inputs: Record<string, FeedTensor> = {};
    for (const spec of net.inputs) {
      const key = `${network}.${spec.name}`;
      if (!file.has(key))
        throw new ExportError(`missing reference input (needed to verify ${network})`, {
          file: referencePath,
          tensor: key,
        });
      const tensor = await file.read(key);
      if (spec.dtype === 'int64') {
        if (tensor.dtype !== 'I64' && tensor.dtype !== 'I32') {
          throw new ExportError(`is ${tensor.dtype}, the network input is int64`, {
            file: referencePath,
            tensor: key,
          });
        }
        const view = new DataView(
          tensor.bytes.buffer,
          tensor.bytes.byteOffset,
          tensor.bytes.byteLength,
        );
        const count = elementCount(tensor.shape);
        const data = BigInt64Array.from({ length: count }, (_, i) =>
          tensor.dtype === 'I64'
            ? view.getBigInt64(i * 8, true)
            : BigInt(view.getInt32(i * 4, true)),
        );
        inputs[spec.name] = { dtype: 'int64', shape: tensor.shape, data };
      } else {
        inputs[spec.name] = {
          dtype: 'float32',
          shape: tensor.shape,
          data: toFloat32(tensor, referencePath),
        };
      }
      assertShape(spec, tensor.shape, referencePath, key);
    }
    const outputs: Record<string, OutputTensor> = {};
    for (const spec of net.outputs) {
      const key = `${network}.${spec.name}`;
      if (!file.has(key))
        throw new ExportError(`missing reference output (needed to verify ${network})`, {
          file: referencePath,
          tensor: key,
        });
      const tensor = await file.read(key);
      assertShape(spec, tensor.shape, referencePath, key);
      outputs[spec.name] = { shape: tensor.shape, data: toFloat32(tensor, referencePath) };
    }
    return { inputs, outputs };
  } finally {
    await file.close();
  }
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
  const actual = await runOnnx(options.path, options.inputs);
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
