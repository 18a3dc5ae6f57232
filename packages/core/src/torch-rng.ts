import type { NoiseSource } from './rng.js';

const MT_N = 624;
const MT_M = 397;
const TWO_PI_FLOAT32 = Math.fround(2 * Math.PI);
const TWO_POW_MINUS_24 = 1 / 16777216;

/**
 * PyTorch's CPU generator, for reproducing a diffusers run seeded with `torch.manual_seed(seed)`:
 * `fill(out)` gives the numbers of `torch.randn(shape, generator=g)` (float32, contiguous, any
 * shape with `out.length` elements), and successive calls continue the generator's stream the way
 * successive `randn` calls do.
 *
 * Algorithm, as ATen's CPU kernels (aten/src/ATen/core/MT19937RNGEngine.h,
 * aten/src/ATen/native/cpu/DistributionTemplates.h):
 * - MT19937 (32-bit) seeded with init_genrand(seed);
 * - uniforms `u = (next() & (2^24 - 1)) * 2^-24`, one per element, drawn for the whole tensor first;
 * - Box-Muller on blocks of 16 in place: for j < 8, `r = sqrt(-2 log(1 - u[j]))`,
 *   `theta = 2 pi u[j + 8]`, `out[j] = r cos(theta)`, `out[j + 8] = r sin(theta)`; when the length
 *   is not a multiple of 16, the last 16 uniforms are drawn again and the last 16 values recomputed;
 * - below 16 elements torch uses another path (float64 Box-Muller with a cached second value),
 *   also reproduced here.
 *
 * torch evaluates log, sin and cos with float32 polynomial approximations (avx_mathfun.h on AVX2
 * machines, libm elsewhere); we use Math's float64 functions rounded to float32, so a value may
 * differ from torch's in its last bit (relative 6e-8), never more.
 */
export class TorchGenerator implements NoiseSource {
  private readonly state = new Uint32Array(MT_N);
  private index = MT_N;
  private readonly uniforms: Float32Array = new Float32Array(16);
  /** torch's cached second normal of the float64 path (next_double_normal_sample). */
  private cachedNormal: number | null = null;

  /** @param seed an integer in [0, 2^32) (torch.manual_seed takes the low 32 bits for MT19937). */
  constructor(seed: number) {
    this.manualSeed(seed);
  }

  /**
   * Restarts the stream as `generator.manual_seed(seed)` does, without allocating (torchsde seeds a
   * fresh generator for every node of its Brownian tree).
   */
  manualSeed(seed: number): this {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new RangeError(`TorchGenerator seed must be an integer in [0, 2^32), got ${seed}`);
    }
    const state = this.state;
    state[0] = seed >>> 0;
    for (let i = 1; i < MT_N; i++) {
      const previous = state[i - 1] as number;
      state[i] = (Math.imul(1812433253, previous ^ (previous >>> 30)) + i) >>> 0;
    }
    this.index = MT_N;
    this.cachedNormal = null;
    return this;
  }

  /** The next 32-bit output of MT19937 (torch's `random()`). */
  nextUint32(): number {
    const state = this.state;
    if (this.index >= MT_N) {
      for (let k = 0; k < MT_N; k++) {
        const y =
          ((state[k] as number) & 0x80000000) | ((state[(k + 1) % MT_N] as number) & 0x7fffffff);
        let value = (state[(k + MT_M) % MT_N] as number) ^ (y >>> 1);
        if (y & 1) value ^= 0x9908b0df;
        state[k] = value;
      }
      this.index = 0;
    }
    let y = state[this.index++] as number;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** torch's uniform_real_distribution<float>(0, 1): 24 random bits. */
  nextUniformFloat(): number {
    return (this.nextUint32() & 0xffffff) * TWO_POW_MINUS_24;
  }

  /** torch's uniform_real_distribution<double>(0, 1): 53 bits of random64(). */
  private nextUniformDouble(): number {
    // random64() = (first << 32) | second; the low 53 bits are (first & 0x1fffff) * 2^32 + second.
    const high = this.nextUint32();
    const low = this.nextUint32();
    return ((high & 0x1fffff) * 4294967296 + low) / 9007199254740992;
  }

  /** Fills `out` as `torch.randn(out.length)` would with this generator, and returns it. */
  fill(out: Float32Array): Float32Array {
    const size = out.length;
    if (size < 16) {
      for (let i = 0; i < size; i++) out[i] = this.nextNormalDouble();
      return out;
    }
    for (let i = 0; i < size; i++) out[i] = this.nextUniformFloat();
    for (let i = 0; i + 16 <= size; i += 16) boxMuller16(out, i);
    if (size % 16 !== 0) {
      const start = size - 16;
      for (let i = 0; i < 16; i++) out[start + i] = this.nextUniformFloat();
      boxMuller16(out, start);
    }
    return out;
  }

  /** at::normal_distribution<double>: Box-Muller in float64, the second value cached. */
  private nextNormalDouble(): number {
    if (this.cachedNormal !== null) {
      const cached = this.cachedNormal;
      this.cachedNormal = null;
      return cached;
    }
    const u1 = this.nextUniformDouble();
    const u2 = this.nextUniformDouble();
    const radius = Math.sqrt(-2 * Math.log1p(-u2));
    const theta = 2 * Math.PI * u1;
    this.cachedNormal = radius * Math.sin(theta);
    return radius * Math.cos(theta);
  }
}

function boxMuller16(data: Float32Array, start: number): void {
  for (let j = 0; j < 8; j++) {
    const u1 = Math.fround(1 - (data[start + j] as number));
    const u2 = data[start + j + 8] as number;
    const radius = Math.fround(Math.sqrt(Math.fround(-2 * Math.fround(Math.log(u1)))));
    const theta = Math.fround(TWO_PI_FLOAT32 * u2);
    data[start + j] = radius * Math.fround(Math.cos(theta));
    data[start + j + 8] = radius * Math.fround(Math.sin(theta));
  }
}
