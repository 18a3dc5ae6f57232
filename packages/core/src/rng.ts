/**
 * A seeded generator of standard normal floats that gives the same stream in every JS engine.
 *
 * Algorithm (see README "Random numbers" for a step-by-step description):
 * - state: xoshiro128** (four uint32 words), seeded by four outputs of splitmix32 from the seed;
 * - uniforms: u = (next() >>> 8) * 2^-24, then v = 2u - 1 in [-1, 1);
 * - normals: Marsaglia's polar method on pairs (v1, v2), rejecting s = v1^2 + v2^2 >= 1 or s == 0,
 *   giving v1 * f and v2 * f with f = sqrt(-2 ln(s) / s), first v1 * f then v2 * f;
 * - ln(s) is computed here, not with Math.log (whose last bit differs between engines):
 *   s = m * 2^e with m in [sqrt(1/2), sqrt(2)), found by exact doubling/halving (frexp),
 *   ln(m) = 2 atanh(r) with r = (m - 1) / (m + 1), as the fixed odd series r + r^3/3 + ... + r^23/23,
 *   ln(s) = e * LN2 + ln(m). Only + - * / and sqrt are used, all IEEE correctly rounded.
 */

/** Anything that can fill an array with standard normal samples; schedulers take noise from it. */
export interface NoiseSource {
  fill(out: Float32Array): Float32Array;
}

const LN2 = 0.6931471805599453;
const SQRT_HALF = 0.7071067811865476;
const TWO_POW_MINUS_24 = 1 / 16777216;

function splitmix32(state: number): [number, number] {
  const next = (state + 0x9e3779b9) | 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  z ^= z >>> 16;
  return [next, z >>> 0];
}

/** A uniform/normal generator; deterministic across engines. */
export class NormalGenerator implements NoiseSource {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spare = 0;
  private hasSpare = false;

  /** @param seed an integer in [0, 2^32). */
  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new RangeError(`NormalGenerator seed must be an integer in [0, 2^32), got ${seed}`);
    }
    let state = seed | 0;
    const out: number[] = [];
    for (let i = 0; i < 4; i++) {
      const [nextState, value] = splitmix32(state);
      state = nextState;
      out.push(value | 0);
    }
    [this.s0, this.s1, this.s2, this.s3] = out as [number, number, number, number];
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1; // xoshiro's only bad state
  }

  /** The next uint32 of xoshiro128**. */
  nextUint32(): number {
    const s1 = this.s1;
    const product = Math.imul(s1, 5);
    const result = Math.imul((product << 7) | (product >>> 25), 9);
    const shifted = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= shifted;
    this.s3 = (this.s3 << 11) | (this.s3 >>> 21);
    return result >>> 0;
  }

  /** A uniform float in [0, 1) with 24 random bits (exactly representable in float32). */
  nextUniform(): number {
    return (this.nextUint32() >>> 8) * TWO_POW_MINUS_24;
  }

  /** The next standard normal as a float64. */
  nextNormal(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    for (;;) {
      const v1 = 2 * this.nextUniform() - 1;
      const v2 = 2 * this.nextUniform() - 1;
      const s = v1 * v1 + v2 * v2;
      if (s >= 1 || s === 0) continue;
      const factor = Math.sqrt((-2 * this.log(s)) / s);
      this.spare = v2 * factor;
      this.hasSpare = true;
      return v1 * factor;
    }
  }

  /**
   * Fills `out` with standard normals (float32-rounded) and returns it: the same stream as
   * repeated nextNormal(), with the generator inlined because this is the hot loop.
   */
  fill(out: Float32Array): Float32Array {
    let i = 0;
    const length = out.length;
    if (this.hasSpare && length > 0) {
      this.hasSpare = false;
      out[i++] = this.spare;
    }
    let s0 = this.s0;
    let s1 = this.s1;
    let s2 = this.s2;
    let s3 = this.s3;
    while (i < length) {
      // Two xoshiro128** outputs -> two uniforms in [-1, 1).
      let product = Math.imul(s1, 5);
      let word = Math.imul((product << 7) | (product >>> 25), 9);
      let shifted = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= shifted;
      s3 = (s3 << 11) | (s3 >>> 21);
      const v1 = 2 * ((word >>> 8) * TWO_POW_MINUS_24) - 1;
      product = Math.imul(s1, 5);
      word = Math.imul((product << 7) | (product >>> 25), 9);
      shifted = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= shifted;
      s3 = (s3 << 11) | (s3 >>> 21);
      const v2 = 2 * ((word >>> 8) * TWO_POW_MINUS_24) - 1;
      const s = v1 * v1 + v2 * v2;
      if (s >= 1 || s === 0) continue;
      const factor = Math.sqrt((-2 * this.log(s)) / s);
      out[i++] = v1 * factor;
      if (i < length) out[i++] = v2 * factor;
      else {
        this.spare = v2 * factor;
        this.hasSpare = true;
      }
    }
    this.s0 = s0;
    this.s1 = s1;
    this.s2 = s2;
    this.s3 = s3;
    return out;
  }

  /** Natural log of a positive finite normal float64, from basic arithmetic only. */
  log(x: number): number {
    // x = mantissa * 2^exponent with the mantissa in [1, 2): halving and doubling are exact.
    let mantissa = x;
    let exponent = 0;
    while (mantissa >= 2) {
      mantissa *= 0.5;
      exponent += 1;
    }
    while (mantissa < 1) {
      mantissa *= 2;
      exponent -= 1;
    }
    if (mantissa >= 2 * SQRT_HALF) {
      mantissa *= 0.5;
      exponent += 1;
    }
    const r = (mantissa - 1) / (mantissa + 1);
    const r2 = r * r;
    // Horner form of 1 + r2/3 + r2^2/5 + ... + r2^11/23; |r| < 0.172 so the tail is below 1e-19.
    let series = 1 / 23;
    series = series * r2 + 1 / 21;
    series = series * r2 + 1 / 19;
    series = series * r2 + 1 / 17;
    series = series * r2 + 1 / 15;
    series = series * r2 + 1 / 13;
    series = series * r2 + 1 / 11;
    series = series * r2 + 1 / 9;
    series = series * r2 + 1 / 7;
    series = series * r2 + 1 / 5;
    series = series * r2 + 1 / 3;
    series = series * r2 + 1;
    return exponent * LN2 + 2 * r * series;
  }
}
