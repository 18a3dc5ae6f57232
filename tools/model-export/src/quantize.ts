import type { OutputTransaction } from './atomic.js';
import { writeOnnxModel } from './onnx/writer.js';
import type { WrittenOnnx } from './onnx/writer.js';
import { readOnnxModel } from './onnx/reader.js';
import { KEEP_FP32_MARK } from './onnx/builder.js';
import { OnnxDataType, attributeInt, findAttribute, int64ToNumber } from './onnx/ir.js';
import type { Initializer, NodeObject, OnnxModel } from './onnx/ir.js';
import type { ModelDtype } from './dtypes.js';
import { ExportError } from './errors.js';

/* ------------------------------------------------------------------------------------------------
 * fp16
 * --------------------------------------------------------------------------------------------- */

/**
 * Ops computed in fp32 inside fp16 variants. Their fp16 results go wrong in ways that show:
 * normalizations sum squares over thousands of values (overflow past 65504), Exp/Pow overflow, and
 * Sin/Cos of a timestep embedding need more than fp16's 11-bit mantissa at arguments near 1000.
 * Same idea as onnxconverter-common's float16 op_block_list.
 */
export const FP16_KEEP_FP32_OPS: ReadonlySet<string> = new Set([
  'InstanceNormalization',
  'LayerNormalization',
  'GroupNormalization',
  'ReduceMean',
  'ReduceSum',
  'ReduceSumSquare',
  'Exp',
  'Pow',
  'Sin',
  'Cos',
  'Range',
  'Softmax',
  'Constant',
  'RandomNormal',
  'RandomNormalLike',
  'RandomUniform',
  'RandomUniformLike',
]);

/** Inputs that the ONNX spec types as tensor(float) whatever the data type: Resize's roi and scales. */
const FLOAT32_ONLY_INPUTS: Readonly<Record<string, readonly number[]>> = Object.freeze({
  Resize: [1, 2],
});
/** Ops whose output is not a float whatever their inputs are. */
const NON_FLOAT_OUTPUT_OPS: ReadonlySet<string> = new Set([
  'Shape',
  'Size',
  'ArgMax',
  'ArgMin',
  'NonZero',
  'Equal',
  'Less',
  'LessOrEqual',
  'Greater',
  'GreaterOrEqual',
  'Not',
  'And',
  'Or',
]);

/**
 * Ops whose output has the type of their first (data) input whatever the others are: a Gather of
 * int64 indices with float positions, or a Resize of an integer image with float scales, is not float.
 */
const OUTPUT_FOLLOWS_FIRST_INPUT: ReadonlySet<string> = new Set([
  'Gather',
  'GatherElements',
  'GatherND',
  'Resize',
  'Upsample',
  'Pad',
]);
/** Outputs, by position, that are indices or masks (int64, bool) next to a float first output. */
const NON_FLOAT_OUTPUTS: Readonly<Record<string, readonly number[]>> = Object.freeze({
  TopK: [1],
  MaxPool: [1],
  Dropout: [1],
  Unique: [1, 2, 3],
});

type ValueKind = 'f32' | 'f16' | 'other';

/** Round-to-nearest-even float32 -> float16 bits; values past fp16's range clamp to +-65504. */
export function float32ToFloat16Bits(value: number): number {
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  f32[0] = value;
  const bits = u32[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  let mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | (mantissa ? 0x7e00 : 0x7bff); // NaN stays NaN; inf clamps to max
  const halfExponent = exponent - 127 + 15;
  if (halfExponent >= 0x1f) return sign | 0x7bff;
  if (halfExponent <= 0) {
    if (halfExponent < -10) return sign;
    mantissa |= 0x800000;
    const shift = 14 - halfExponent;
    let half = mantissa >>> shift;
    const remainder = mantissa & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (remainder > halfway || (remainder === halfway && half & 1)) half++;
    return sign | half;
  }
  let half = (halfExponent << 10) | (mantissa >>> 13);
  const remainder = mantissa & 0x1fff;
  if (remainder > 0x1000 || (remainder === 0x1000 && half & 1)) half++;
  if ((half & 0x7fff) >= 0x7c00) return sign | 0x7bff;
  return sign | half;
}

function toFloat16Initializer(source: Initializer, name: string): Initializer {
  return {
    name,
    dataType: OnnxDataType.FLOAT16,
    dims: source.dims,
    byteLength: source.byteLength / 2,
    load: async () => {
      const raw = await source.load();
      const values = new Float32Array(
        raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength),
      );
      const out = new Uint16Array(values.length);
      for (let i = 0; i < values.length; i++) out[i] = float32ToFloat16Bits(values[i]!);
      return new Uint8Array(out.buffer);
    },
  };
}

function kindOfDataType(dataType: number): ValueKind {
  if (dataType === OnnxDataType.FLOAT) return 'f32';
  if (dataType === OnnxDataType.FLOAT16) return 'f16';
  return 'other';
}

function tensorAttributeKind(node: NodeObject, name: string): ValueKind | undefined {
  const tensor = findAttribute(node, name)?.['t'] as { data_type?: number } | undefined;
  return tensor === undefined ? undefined : kindOfDataType(tensor.data_type ?? 0);
}

/**
 * The kind of value an op makes whatever its inputs are: by its `to`, `dtype` or `value`
 * attribute. A Constant is float only when its tensor is: torch.onnx.export writes the shape of
 * every `.view()`/`.reshape()` as an int64 Constant, and the int64 shape input of a Reshape must
 * stay int64 (onnxruntime refuses a tensor(float16) there). Undefined: it follows the inputs.
 */
function declaredOutputKind(node: NodeObject): ValueKind | undefined {
  const dtype = (): number | undefined => {
    const attribute = findAttribute(node, 'dtype');
    return attribute === undefined ? undefined : int64ToNumber(attribute.i);
  };
  switch (node.op_type) {
    case 'Cast':
      return kindOfDataType(int64ToNumber(findAttribute(node, 'to')?.i));
    case 'Constant':
      if (findAttribute(node, 'value') !== undefined)
        return tensorAttributeKind(node, 'value') ?? 'other';
      return findAttribute(node, 'value_float') !== undefined ||
        findAttribute(node, 'value_floats') !== undefined
        ? 'f32'
        : 'other';
    // Without a `value`, ConstantOfShape makes float32 zeros.
    case 'ConstantOfShape':
      return tensorAttributeKind(node, 'value') ?? 'f32';
    case 'RandomNormal':
    case 'RandomUniform':
      return kindOfDataType(dtype() ?? OnnxDataType.FLOAT);
    case 'RandomNormalLike':
    case 'RandomUniformLike':
    case 'EyeLike': {
      const to = dtype();
      return to === undefined ? undefined : kindOfDataType(to);
    }
    default:
      return undefined;
  }
}

export function keepsFp32(node: NodeObject): boolean {
  return node.doc_string === KEEP_FP32_MARK || FP16_KEEP_FP32_OPS.has(node.op_type);
}

/**
 * fp16 variant: float initializers become float16 and nodes compute in float16, except those
 * marked by the builder or in FP16_KEEP_FP32_OPS; Casts are inserted wherever a value crosses
 * between the two, and at the graph's float inputs and outputs, which stay float32.
 */
export function toFloat16(model: OnnxModel): OnnxModel {
  const graph = model.graph;
  const initializers = new Map(graph.initializers.map((init) => [init.name, init]));
  const kinds = new Map<string, ValueKind>();
  for (const input of graph.inputs)
    kinds.set(input.name, kindOfDataType(input.type?.tensor_type?.elem_type ?? 0));
  const kindOf = (name: string): ValueKind => {
    const init = initializers.get(name);
    if (init !== undefined) return kindOfDataType(init.dataType);
    return kinds.get(name) ?? 'other';
  };

  const newInitializers: Initializer[] = [];
  const fp16Initializers = new Map<string, string>();
  const usedAsFp32 = new Set<string>();
  const castCache = new Map<string, string>();
  const nodes: NodeObject[] = [];
  let castCount = 0;

  const asFp16 = (name: string): string => {
    if (kindOf(name) === 'f16') return name;
    const init = initializers.get(name);
    if (init !== undefined) {
      let converted = fp16Initializers.get(name);
      if (converted === undefined) {
        converted = `${name}__fp16`;
        newInitializers.push(toFloat16Initializer(init, converted));
        fp16Initializers.set(name, converted);
      }
      return converted;
    }
    return cast(name, OnnxDataType.FLOAT16);
  };
  const asFp32 = (name: string): string => {
    if (kindOf(name) === 'f32') {
      if (initializers.has(name)) usedAsFp32.add(name);
      return name;
    }
    return cast(name, OnnxDataType.FLOAT);
  };
  const cast = (name: string, to: number): string => {
    const key = `${name}|${to}`;
    const cached = castCache.get(key);
    if (cached !== undefined) return cached;
    const output = `${name}__to_${to === OnnxDataType.FLOAT ? 'fp32' : 'fp16'}`;
    nodes.push({
      name: `cast_${castCount++}`,
      op_type: 'Cast',
      input: [name],
      output: [output],
      attribute: [attributeInt('to', to)],
    });
    kinds.set(output, to === OnnxDataType.FLOAT ? 'f32' : 'f16');
    castCache.set(key, output);
    return output;
  };

  for (const original of graph.nodes) {
    const node: NodeObject = {
      ...original,
      input: [...original.input],
      output: [...original.output],
    };
    const keep =
      keepsFp32(node) ||
      (node.domain !== undefined && node.domain !== '' && node.domain !== 'ai.onnx');
    const float32Only = FLOAT32_ONLY_INPUTS[node.op_type] ?? [];
    let anyFloatInput = false;
    node.input = node.input.map((name, index) => {
      if (name === '' || kindOf(name) === 'other') return name;
      anyFloatInput = true;
      return keep || float32Only.includes(index) ? asFp32(name) : asFp16(name);
    });
    let outputKind: ValueKind;
    const declared = declaredOutputKind(node);
    if (declared !== undefined) {
      outputKind = declared;
    } else if (NON_FLOAT_OUTPUT_OPS.has(node.op_type) || !anyFloatInput) {
      outputKind = 'other';
    } else if (OUTPUT_FOLLOWS_FIRST_INPUT.has(node.op_type)) {
      outputKind = kindOf(node.input[0] ?? '') === 'other' ? 'other' : keep ? 'f32' : 'f16';
    } else {
      outputKind = keep ? 'f32' : 'f16';
    }
    const otherOutputs = NON_FLOAT_OUTPUTS[node.op_type] ?? [];
    node.output.forEach((output, index) =>
      kinds.set(output, otherOutputs.includes(index) ? 'other' : outputKind),
    );
    nodes.push(node);
  }

  const outputs = graph.outputs.map((output) => {
    if (kindOf(output.name) !== 'f16') return output;
    const renamed = `${output.name}__fp16`;
    for (const node of nodes) {
      node.output = node.output.map((name) => (name === output.name ? renamed : name));
      node.input = node.input.map((name) => (name === output.name ? renamed : name));
    }
    nodes.push({
      name: `cast_output_${output.name}`,
      op_type: 'Cast',
      input: [renamed],
      output: [output.name],
      attribute: [attributeInt('to', OnnxDataType.FLOAT)],
    });
    return output;
  });

  const kept = graph.initializers.filter(
    (init) =>
      init.dataType !== OnnxDataType.FLOAT ||
      usedAsFp32.has(init.name) ||
      !fp16Initializers.has(init.name),
  );
  // value_info carries the fp32 types of intermediate values: stale now, and optional.
  const { value_info: _staleValueInfo, ...extra } = graph.extra;
  return {
    ...model,
    graph: { ...graph, nodes, outputs, initializers: [...kept, ...newInitializers], extra },
  };
}

/* ------------------------------------------------------------------------------------------------
 * int8 (weight-only)
 * --------------------------------------------------------------------------------------------- */

/**
 * Which weights get 8-bit storage, and along which axis their scales run (one per output channel).
 *
 * Weight-only DequantizeLinear -> float op, not QLinearConv/ConvInteger/MatMulInteger: the WebGPU
 * EP has DequantizeLinear (opset 10-21+) but none of the integer-arithmetic kernels, so a QDQ or
 * QLinear graph would fall back to the CPU node by node there; the wasm EP (the CPU kernels) runs
 * DequantizeLinear too. The download shrinks ~4x, the math stays float. MatMulNBits would be the
 * WebGPU-native path, but it is a com.microsoft MatMul-only op for 4-bit blocks, and these models'
 * weights are mostly convolutions. Per-channel scales need DequantizeLinear's `axis` (opset 13+).
 * (2026-11-26) https://github.com/microsoft/onnxruntime/blob/main/js/web/docs/webgpu-operators.md
 */
export const INT8_WEIGHT_INPUTS: Readonly<
  Record<
    string,
    { readonly input: number; axis(node: NodeObject, rank: number): number | undefined }
  >
> = Object.freeze({
  Conv: { input: 1, axis: () => 0 },
  // ConvTranspose weights are [in, out/groups, k, k]: output channels are axis 1 (group 1 only).
  ConvTranspose: {
    input: 1,
    axis: (node) => (int64ToNumber(findAttribute(node, 'group')?.i ?? 1) === 1 ? 1 : undefined),
  },
  Gemm: {
    input: 1,
    axis: (node) => (int64ToNumber(findAttribute(node, 'transB')?.i ?? 0) === 1 ? 0 : 1),
  },
  MatMul: { input: 1, axis: (_node, rank) => (rank === 2 ? 1 : undefined) },
  // Embedding tables: one scale per row, since each row is looked up on its own.
  Gather: {
    input: 0,
    axis: (node) => (int64ToNumber(findAttribute(node, 'axis')?.i ?? 0) === 0 ? 0 : undefined),
  },
});

/** Weights smaller than this stay float32: their scales would cost about what they save. */
export const INT8_MIN_ELEMENTS = 256;

export function quantizePerChannel(
  values: Float32Array,
  dims: readonly number[],
  axis: number,
): { quantized: Int8Array; scales: Float32Array } {
  const channels = dims[axis]!;
  const inner = dims.slice(axis + 1).reduce((p, d) => p * d, 1);
  const scales = new Float32Array(channels);
  for (let i = 0; i < values.length; i++) {
    const channel = Math.floor(i / inner) % channels;
    scales[channel] = Math.max(scales[channel]!, Math.abs(values[i]!));
  }
  for (let c = 0; c < channels; c++) scales[c] = scales[c]! > 0 ? scales[c]! / 127 : 1;
  const quantized = new Int8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const channel = Math.floor(i / inner) % channels;
    quantized[i] = Math.max(-127, Math.min(127, Math.round(values[i]! / scales[channel]!)));
  }
  return { quantized, scales };
}

export function toInt8Weights(model: OnnxModel): OnnxModel {
  const opset =
    model.opsetImports.find((entry) => entry.domain === '' || entry.domain === 'ai.onnx')
      ?.version ?? 0;
  if (opset < 13)
    throw new ExportError(
      `int8 needs opset 13 or newer for per-channel DequantizeLinear; the model has opset ${opset}`,
    );
  const graph = model.graph;
  const initializers = new Map(graph.initializers.map((init) => [init.name, init]));
  const dequantizedNames = new Map<string, string>();
  const replaced = new Set<string>();
  const added: Initializer[] = [];
  const dequantizeNodes: NodeObject[] = [];
  const nodes = graph.nodes.map((original) => {
    const rule = INT8_WEIGHT_INPUTS[original.op_type];
    if (rule === undefined || (original.domain ?? '') !== '') return original;
    const weightName = original.input[rule.input];
    const weight = weightName === undefined ? undefined : initializers.get(weightName);
    if (weight === undefined || weight.dataType !== OnnxDataType.FLOAT || weight.dims.length < 2)
      return original;
    if (weight.dims.reduce((p, d) => p * d, 1) < INT8_MIN_ELEMENTS) return original;
    const axis = rule.axis(original, weight.dims.length);
    if (axis === undefined) return original;
    let dequantized = dequantizedNames.get(weight.name);
    if (dequantized === undefined) {
      dequantized = `${weight.name}__dequantized`;
      const channels = weight.dims[axis]!;
      let quantization: Promise<{ quantized: Int8Array; scales: Float32Array }> | undefined;
      const quantize = (): Promise<{ quantized: Int8Array; scales: Float32Array }> => {
        quantization ??= weight.load().then((raw) => {
          const values = new Float32Array(
            raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength),
          );
          return quantizePerChannel(values, weight.dims, axis);
        });
        return quantization;
      };
      // Scales and zero points are written first (the writer keeps this order), so the weight is
      // quantized once and the int8 copy is dropped after it is written.
      added.push({
        name: `${weight.name}__scale`,
        dataType: OnnxDataType.FLOAT,
        dims: [channels],
        byteLength: channels * 4,
        load: async () => new Uint8Array((await quantize()).scales.buffer),
      });
      added.push({
        name: `${weight.name}__zero_point`,
        dataType: OnnxDataType.INT8,
        dims: [channels],
        byteLength: channels,
        load: () => Promise.resolve(new Uint8Array(channels)),
      });
      added.push({
        name: `${weight.name}__int8`,
        dataType: OnnxDataType.INT8,
        dims: weight.dims,
        byteLength: weight.byteLength / 4,
        load: async () => {
          const { quantized } = await quantize();
          quantization = undefined;
          return new Uint8Array(quantized.buffer);
        },
      });
      dequantizeNodes.push({
        name: `${weight.name}__dequantize`,
        op_type: 'DequantizeLinear',
        input: [`${weight.name}__int8`, `${weight.name}__scale`, `${weight.name}__zero_point`],
        output: [dequantized],
        attribute: [attributeInt('axis', axis)],
      });
      dequantizedNames.set(weight.name, dequantized);
      replaced.add(weight.name);
    }
    const input = [...original.input];
    input[rule.input] = dequantized;
    return { ...original, input };
  });
  // A weight also read by an op we do not quantize keeps its float copy.
  const stillUsed = new Set(nodes.flatMap((node) => node.input));
  const kept = graph.initializers.filter(
    (init) => !replaced.has(init.name) || stillUsed.has(init.name),
  );
  return {
    ...model,
    graph: { ...graph, nodes: [...dequantizeNodes, ...nodes], initializers: [...kept, ...added] },
  };
}

export function transformForDtype(model: OnnxModel, dtype: ModelDtype): OnnxModel {
  if (dtype === 'fp16') return toFloat16(model);
  if (dtype === 'int8') return toInt8Weights(model);
  return model;
}

/**
 * Reads an fp32 ONNX file and writes the `dtype` variant of it (in `outputs`, when given, to
 * appear when that transaction commits).
 */
export async function quantizeFile(
  inputPath: string,
  outputPath: string,
  dtype: Exclude<ModelDtype, 'fp32'>,
  options: { readonly outputs?: OutputTransaction } = {},
): Promise<WrittenOnnx> {
  const model = await readOnnxModel(inputPath);
  let transformed: OnnxModel;
  try {
    transformed = transformForDtype(model, dtype);
  } catch (error) {
    if (error instanceof ExportError && error.file === undefined)
      throw new ExportError(error.message, { file: inputPath, cause: error });
    throw error;
  }
  return writeOnnxModel(outputPath, transformed, options);
}
