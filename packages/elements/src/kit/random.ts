import { NormalGenerator } from '@genviz/core';

// Seeded draws for elements that show the same thing for the same seed: latents, picks from a
// set, shuffles. All from core's NormalGenerator, so a seed means the same in every browser.

/** `count` latents of `size` standard normals each, row after row, from `seed`. */
export function seededLatents(seed: number, count: number, size: number): Float32Array {
  return new NormalGenerator(seed).fill(new Float32Array(count * size));
}

/** 0 .. n-1 in a seeded random order (Fisher-Yates on the generator's uniforms). */
export function seededPermutation(seed: number, n: number): number[] {
  const random = new NormalGenerator(seed);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random.nextUniform() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/**
 * A generator's categorical digit code (docs/decisions/0005): the largest of the first
 * `codeSize` entries of each latent picks the digit. Steering to `digit` swaps the largest of
 * those entries with entry `digit`, so each latent stays a standard-normal draw (a permutation
 * of its entries) whose largest code entry is now `digit`. In place; returns `latents`.
 */
export function steerDigitCode(
  latents: Float32Array,
  size: number,
  digit: number,
  codeSize = 10,
): Float32Array {
  for (let row = 0; row < latents.length / size; row++) {
    const offset = row * size;
    let largest = 0;
    for (let k = 1; k < codeSize; k++) {
      if (latents[offset + k]! > latents[offset + largest]!) largest = k;
    }
    const value = latents[offset + largest]!;
    latents[offset + largest] = latents[offset + digit]!;
    latents[offset + digit] = value;
  }
  return latents;
}

/** Which digit each latent's code asks for (the largest of the first `codeSize` entries). */
export function digitCodeOf(latent: Float32Array, codeSize = 10): number {
  let largest = 0;
  for (let k = 1; k < codeSize; k++) if (latent[k]! > latent[largest]!) largest = k;
  return largest;
}
