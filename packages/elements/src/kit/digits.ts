import type { HeldOutDigits } from '@genviz/runtime';

/** The default models' image size (MNIST). */
export const SIDE = 28;
export const PIXELS = SIDE * SIDE;

/** A held-out digit as a tensor, with its label and its index in the held-out set. */
export interface PickedDigit {
  image: Float32Array;
  label: number;
  index: number;
}

/**
 * Held-out digit number `index` as a tensor in [-1, 1] (the diffusion model's and the GAN's
 * range) or [0, 1] (the VAE's and the classifier's).
 */
export function digitImage(
  digits: HeldOutDigits,
  index: number,
  range: 'minus-one-to-one' | 'unit' = 'minus-one-to-one',
): PickedDigit {
  const image = new Float32Array(PIXELS);
  const offset = index * PIXELS;
  for (let i = 0; i < PIXELS; i++) {
    const unit = digits.images[offset + i]! / 255;
    image[i] = range === 'unit' ? unit : unit * 2 - 1;
  }
  return { image, label: digits.labels[index]!, index };
}

/** The first held-out digit showing `digit` (the first of all for null), in [-1, 1]. */
export function pickDigit(digits: HeldOutDigits, digit: number | null): PickedDigit {
  const found = digit === null ? 0 : digits.labels.indexOf(digit);
  return digitImage(digits, Math.max(0, found));
}
