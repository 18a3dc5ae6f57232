/** Value range of a float image tensor. */
export type ValueRange = 'minus-one-to-one' | 'zero-to-one';

/** An NCHW float image batch's shape. */
export interface ImageShape {
  readonly channels: 1 | 3;
  readonly height: number;
  readonly width: number;
}

/** ITU-R BT.601 luma weights, as PIL's convert('L'). */
export const LUMA_WEIGHTS = Object.freeze([0.299, 0.587, 0.114] as const);

function toUnit(value: number, range: ValueRange): number {
  return range === 'minus-one-to-one' ? (value + 1) / 2 : value;
}

function fromUnit(value: number, range: ValueRange): number {
  return range === 'minus-one-to-one' ? value * 2 - 1 : value;
}

/**
 * Writes image `batchIndex` of an NCHW float tensor as RGBA pixels (for ImageData).
 * Grayscale repeats the channel; values are clamped and rounded by Uint8ClampedArray.
 * `out` needs height * width * 4 bytes.
 */
export function tensorToRgba(
  out: Uint8ClampedArray,
  tensor: Float32Array,
  shape: ImageShape,
  range: ValueRange = 'minus-one-to-one',
  batchIndex = 0,
): Uint8ClampedArray {
  const plane = shape.height * shape.width;
  if (out.length < plane * 4) throw new RangeError(`tensorToRgba: out needs ${plane * 4} bytes`);
  const base = batchIndex * shape.channels * plane;
  if (tensor.length < base + shape.channels * plane) {
    throw new RangeError(
      `tensorToRgba: tensor has no image ${batchIndex} of shape ${shape.channels}x${shape.height}x${shape.width}`,
    );
  }
  for (let p = 0; p < plane; p++) {
    const red = toUnit(tensor[base + p] as number, range) * 255;
    const green =
      shape.channels === 3 ? toUnit(tensor[base + plane + p] as number, range) * 255 : red;
    const blue =
      shape.channels === 3 ? toUnit(tensor[base + 2 * plane + p] as number, range) * 255 : red;
    out[p * 4] = red;
    out[p * 4 + 1] = green;
    out[p * 4 + 2] = blue;
    out[p * 4 + 3] = 255;
  }
  return out;
}

/**
 * Reads RGBA pixels into image `batchIndex` of an NCHW float tensor. With one channel the
 * pixels become luma (BT.601); alpha is ignored.
 */
export function rgbaToTensor(
  out: Float32Array,
  rgba: Uint8ClampedArray,
  shape: ImageShape,
  range: ValueRange = 'minus-one-to-one',
  batchIndex = 0,
): Float32Array {
  const plane = shape.height * shape.width;
  if (rgba.length < plane * 4) throw new RangeError(`rgbaToTensor: rgba needs ${plane * 4} bytes`);
  const base = batchIndex * shape.channels * plane;
  for (let p = 0; p < plane; p++) {
    const red = (rgba[p * 4] as number) / 255;
    const green = (rgba[p * 4 + 1] as number) / 255;
    const blue = (rgba[p * 4 + 2] as number) / 255;
    if (shape.channels === 1) {
      out[base + p] = fromUnit(
        LUMA_WEIGHTS[0] * red + LUMA_WEIGHTS[1] * green + LUMA_WEIGHTS[2] * blue,
        range,
      );
    } else {
      out[base + p] = fromUnit(red, range);
      out[base + plane + p] = fromUnit(green, range);
      out[base + 2 * plane + p] = fromUnit(blue, range);
    }
  }
  return out;
}

/**
 * Sharpness of a grey image as its mean gradient magnitude: the average over interior pixels of
 * sqrt(dx^2 + dy^2) with central differences. A blurry image (a VAE's reconstruction, which
 * averages the digits a code could be) scores lower than a crisp one of the same range.
 */
export function meanGradientMagnitude(
  image: ArrayLike<number>,
  width: number,
  height: number,
  offset = 0,
): number {
  let sum = 0;
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      const i = offset + y * width + x;
      const dx = ((image[i + 1] as number) - (image[i - 1] as number)) / 2;
      const dy = ((image[i + width] as number) - (image[i - width] as number)) / 2;
      sum += Math.sqrt(dx * dx + dy * dy);
    }
  }
  return sum / ((width - 2) * (height - 2));
}
