import { OnnxDataType } from '../onnx/ir.js';
import { attr } from '../onnx/builder.js';
import type { GraphBuilder } from '../onnx/builder.js';

/*
 * PyTorch layers as ONNX nodes. Each takes the module path of the layer in the state_dict (so the
 * checkpoint keys line up) and the hyperparameters from config.json, and checks every weight's
 * shape against them.
 */

export interface Conv2dOptions {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernel: number;
  readonly stride?: number;
  readonly padding?: number;
}

/** nn.Conv2d(in, out, kernel, stride, padding) with bias. */
export function conv2d(b: GraphBuilder, path: string, x: string, o: Conv2dOptions): string {
  const weight = b.weight(`${path}.weight`, [o.outChannels, o.inChannels, o.kernel, o.kernel]);
  const bias = b.weight(`${path}.bias`, [o.outChannels]);
  const stride = o.stride ?? 1;
  const padding = o.padding ?? 0;
  return b.op('Conv', [x, weight, bias], {
    name: path,
    attributes: [
      attr.ints('kernel_shape', [o.kernel, o.kernel]),
      attr.ints('strides', [stride, stride]),
      attr.ints('pads', [padding, padding, padding, padding]),
    ],
  });
}

/** nn.ConvTranspose2d(in, out, kernel, stride, padding), output_padding 0; weight is [in, out, k, k]. */
export function convTranspose2d(
  b: GraphBuilder,
  path: string,
  x: string,
  o: Conv2dOptions,
): string {
  const weight = b.weight(`${path}.weight`, [o.inChannels, o.outChannels, o.kernel, o.kernel]);
  const bias = b.weight(`${path}.bias`, [o.outChannels]);
  const stride = o.stride ?? 1;
  const padding = o.padding ?? 0;
  return b.op('ConvTranspose', [x, weight, bias], {
    name: path,
    attributes: [
      attr.ints('kernel_shape', [o.kernel, o.kernel]),
      attr.ints('strides', [stride, stride]),
      attr.ints('pads', [padding, padding, padding, padding]),
    ],
  });
}

/** nn.Linear(in, out): Gemm with transB, so the [out, in] weight is stored as PyTorch has it. */
export function linear(
  b: GraphBuilder,
  path: string,
  x: string,
  inFeatures: number,
  outFeatures: number,
): string {
  const weight = b.weight(`${path}.weight`, [outFeatures, inFeatures]);
  const bias = b.weight(`${path}.bias`, [outFeatures]);
  return b.op('Gemm', [x, weight, bias], { name: path, attributes: [attr.int('transB', 1)] });
}

/** nn.Linear(in, out, bias=False): Gemm with transB and no C input. */
export function linearNoBias(
  b: GraphBuilder,
  path: string,
  x: string,
  inFeatures: number,
  outFeatures: number,
): string {
  const weight = b.weight(`${path}.weight`, [outFeatures, inFeatures]);
  return b.op('Gemm', [x, weight], { name: path, attributes: [attr.int('transB', 1)] });
}

/** nn.BatchNorm2d in eval mode: BatchNormalization with the running statistics. */
export function batchNorm2d(
  b: GraphBuilder,
  path: string,
  x: string,
  channels: number,
  eps: number,
): string {
  const inputs = ['weight', 'bias', 'running_mean', 'running_var'].map((key) =>
    b.weight(`${path}.${key}`, [channels]),
  );
  return b.op('BatchNormalization', [x, ...inputs], {
    name: path,
    attributes: [attr.float('epsilon', eps)],
  });
}

/**
 * nn.BatchNorm1d on [N, C] in eval mode. BatchNormalization's spec and kernels expect
 * N x C x D1..., so the features get a trailing unit axis around it.
 */
export function batchNorm1d(
  b: GraphBuilder,
  path: string,
  x: string,
  features: number,
  eps: number,
): string {
  const asThreeD = b.op('Reshape', [x, b.int64s('shape_n_c_1', [0, features, 1])], {
    name: `${path}.unsqueeze`,
  });
  const normed = batchNorm2d(b, path, asThreeD, features, eps);
  return b.op('Reshape', [normed, b.int64s('shape_n_c', [0, features])], {
    name: `${path}.squeeze`,
  });
}

/**
 * nn.GroupNorm(groups, channels, eps) with affine weight and bias, on [N, C, H, W].
 * As Reshape -> InstanceNormalization -> Reshape -> Mul -> Add: ONNX's GroupNormalization (opset
 * 18) has no kernel in onnxruntime-web's WebGPU EP, and its opset-18 definition took per-group
 * scale and bias, changed to per-channel in opset 21, so exporters themselves avoid it.
 * InstanceNormalization over [N, G, C/G*H*W] is the same statistics per group. (2026-11-26)
 * https://github.com/microsoft/onnxruntime/blob/main/js/web/docs/webgpu-operators.md
 * https://onnx.ai/onnx/operators/onnx__GroupNormalization.html
 */
export function groupNorm(
  b: GraphBuilder,
  path: string,
  x: string,
  o: { groups: number; channels: number; height: number; width: number; eps: number },
): string {
  const grouped = b.op('Reshape', [x, b.int64s(`shape_n_g_rest_${o.groups}`, [0, o.groups, -1])], {
    name: `${path}.group`,
  });
  const ones = b.constant(
    `ones_${o.groups}`,
    OnnxDataType.FLOAT,
    [o.groups],
    new Array<number>(o.groups).fill(1),
  );
  const zeros = b.constant(
    `zeros_${o.groups}`,
    OnnxDataType.FLOAT,
    [o.groups],
    new Array<number>(o.groups).fill(0),
  );
  // InstanceNormalization sums squares over a whole group: kept fp32 so fp16 variants cannot overflow there.
  const normalized = b.op('InstanceNormalization', [grouped, ones, zeros], {
    name: `${path}.normalize`,
    attributes: [attr.float('epsilon', o.eps)],
    keepFp32: true,
  });
  const shape = b.int64s(`shape_n_${o.channels}_${o.height}_${o.width}`, [
    0,
    o.channels,
    o.height,
    o.width,
  ]);
  const ungrouped = b.op('Reshape', [normalized, shape], { name: `${path}.ungroup` });
  const scale = b.weight(`${path}.weight`, [o.channels], [o.channels, 1, 1]);
  const shift = b.weight(`${path}.bias`, [o.channels], [o.channels, 1, 1]);
  return b.op('Add', [b.op('Mul', [ungrouped, scale], { name: `${path}.scale` }), shift], {
    name: `${path}.shift`,
  });
}

export function relu(b: GraphBuilder, x: string, path = 'relu'): string {
  return b.op('Relu', [x], { name: path });
}

export function leakyRelu(b: GraphBuilder, x: string, slope: number, path = 'leaky_relu'): string {
  return b.op('LeakyRelu', [x], { name: path, attributes: [attr.float('alpha', slope)] });
}

export function sigmoid(b: GraphBuilder, x: string, path = 'sigmoid'): string {
  return b.op('Sigmoid', [x], { name: path });
}

export function tanh(b: GraphBuilder, x: string, path = 'tanh'): string {
  return b.op('Tanh', [x], { name: path });
}

/** F.silu = x * sigmoid(x); ONNX has no SiLU before opset 24's Swish. */
export function silu(b: GraphBuilder, x: string, path = 'silu'): string {
  return b.op('Mul', [x, b.op('Sigmoid', [x], { name: `${path}.sigmoid` })], { name: path });
}

export function maxPool2d(b: GraphBuilder, x: string, kernel: number, path = 'max_pool'): string {
  return b.op('MaxPool', [x], {
    name: path,
    attributes: [
      attr.ints('kernel_shape', [kernel, kernel]),
      attr.ints('strides', [kernel, kernel]),
    ],
  });
}

/** nn.Flatten(): [N, ...] -> [N, rest]. */
export function flatten(b: GraphBuilder, x: string, path = 'flatten'): string {
  return b.op('Flatten', [x], { name: path, attributes: [attr.int('axis', 1)] });
}

/** Tensor.view(-1, ...rest) keeping the batch dimension dynamic (0 copies it in Reshape). */
export function reshapeKeepBatch(
  b: GraphBuilder,
  x: string,
  rest: readonly number[],
  path = 'view',
): string {
  return b.op('Reshape', [x, b.int64s(`shape_n_${rest.join('_')}`, [0, ...rest])], { name: path });
}

/**
 * F.interpolate(scale_factor=2, mode="nearest"): PyTorch reads source index floor(dst / 2), which
 * is Resize's asymmetric transform with floor rounding (the default half_pixel would shift it).
 */
export function upsampleNearest2x(b: GraphBuilder, x: string, path = 'upsample'): string {
  const scales = b.constant('scales_1_1_2_2', OnnxDataType.FLOAT, [4], [1, 1, 2, 2]);
  return b.op('Resize', [x, '', scales], {
    name: path,
    attributes: [
      attr.string('mode', 'nearest'),
      attr.string('coordinate_transformation_mode', 'asymmetric'),
      attr.string('nearest_mode', 'floor'),
    ],
  });
}

export function concatChannels(b: GraphBuilder, inputs: readonly string[], path = 'cat'): string {
  return b.op('Concat', inputs, { name: path, attributes: [attr.int('axis', 1)] });
}

export function add(b: GraphBuilder, x: string, y: string, path = 'add'): string {
  return b.op('Add', [x, y], { name: path });
}

/** nn.Embedding(count, dim): Gather rows of the [count, dim] table. */
export function embedding(
  b: GraphBuilder,
  path: string,
  indices: string,
  count: number,
  dim: number,
): string {
  const table = b.weight(`${path}.weight`, [count, dim]);
  return b.op('Gather', [table, indices], { name: path, attributes: [attr.int('axis', 0)] });
}

/**
 * Sinusoidal timestep embedding, concat(cos(t * f), sin(t * f)) with
 * f[i] = exp(-ln(max_period) * i / half): diffusers' get_timestep_embedding with
 * flip_sin_to_cos=True, downscale_freq_shift=0. The frequencies are computed here in float32 steps
 * the way torch does (arange in f32 times the f32 scalar, divided, exp), and every node stays fp32
 * in fp16 variants: t * f reaches ~1000, where fp16's spacing (0.5) would scramble the phase.
 */
export function sinusoidalEmbedding(
  b: GraphBuilder,
  timestep: string,
  dim: number,
  maxPeriod: number,
  path = 'time_embedding',
): string {
  const half = Math.floor(dim / 2);
  const negLogPeriod = Math.fround(-Math.log(maxPeriod));
  const frequencies = Array.from({ length: half }, (_, i) =>
    Math.fround(Math.exp(Math.fround(Math.fround(i * negLogPeriod) / half))),
  );
  const freqs = b.constant(`${path}.frequencies`, OnnxDataType.FLOAT, [1, half], frequencies);
  const column = b.op('Unsqueeze', [timestep, b.int64s('axes_1', [1])], {
    name: `${path}.unsqueeze`,
    keepFp32: true,
  });
  const args = b.op('Mul', [column, freqs], { name: `${path}.args`, keepFp32: true });
  const cos = b.op('Cos', [args], { name: `${path}.cos`, keepFp32: true });
  const sin = b.op('Sin', [args], { name: `${path}.sin`, keepFp32: true });
  return b.op('Concat', [cos, sin], {
    name: `${path}.concat`,
    attributes: [attr.int('axis', 1)],
    keepFp32: true,
  });
}
