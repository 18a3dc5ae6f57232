// Shared by @genviz/model-export (which writes the files) and @genviz/runtime (which picks and
// resolves them): the one table of model-variant dtypes and their file-name suffixes.
/**
 * The file-name suffix of each dtype variant, shared with the runtime (it imports this table to
 * resolve `decoder` + dtype to a URL): `decoder.onnx`, `decoder_fp16.onnx`, `decoder_int8.onnx`.
 *
 * - fp32: the converted graph as is; always shipped, the reference every other variant is checked
 *   against and the fallback on every device.
 * - fp16: weights and activations in float16, inputs and outputs still float32 (Cast at the edges)
 *   so callers never handle half floats; for WebGPU with shader-f16.
 * - int8: weight-only 8-bit, symmetric per output channel, dequantized in the graph by
 *   DequantizeLinear; activations stay float32. Named `_int8` for the type stored on disk (signed,
 *   zero point 0), as transformers.js names it; `_uint8` would mean asymmetric unsigned weights
 *   and `_q8` dynamically quantized activations, neither of which this is.
 */
export const DTYPE_SUFFIXES = Object.freeze({
  fp32: '',
  fp16: '_fp16',
  int8: '_int8',
} as const);

export type ModelDtype = keyof typeof DTYPE_SUFFIXES;

export const MODEL_DTYPES: readonly ModelDtype[] = Object.freeze(
  Object.keys(DTYPE_SUFFIXES) as ModelDtype[],
);

export function isModelDtype(value: string): value is ModelDtype {
  return Object.hasOwn(DTYPE_SUFFIXES, value);
}

/** `decoder` + `fp16` -> `decoder_fp16.onnx`. */
export function variantFileName(network: string, dtype: ModelDtype): string {
  return `${network}${DTYPE_SUFFIXES[dtype]}.onnx`;
}
