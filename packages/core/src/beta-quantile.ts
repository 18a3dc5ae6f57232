/**
 * The quantile function (inverse CDF) of the beta distribution, for diffusers' use_beta_sigmas,
 * which spaces sigmas by scipy.stats.beta.ppf (Lee et al. 2024, "Beta Sampling is All You Need").
 * Float64 throughout; accurate to ~1e-14, far below the float32 the sigmas are stored in.
 */

/** Lanczos coefficients (g = 7, n = 9), as in Numerical Recipes and most libm-free lgamma ports. */
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
  -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
  1.5056327351493116e-7,
];
const LANCZOS_G = 7;
const HALF_LOG_TWO_PI = 0.5 * Math.log(2 * Math.PI);

/** ln Gamma(x) for x > 0. */
export function logGamma(x: number): number {
  if (x < 0.5) {
    // Reflection keeps the series in its accurate range.
    return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  }
  const z = x - 1;
  let sum = LANCZOS[0] as number;
  for (let i = 1; i < LANCZOS.length; i++) sum += (LANCZOS[i] as number) / (z + i);
  const t = z + LANCZOS_G + 0.5;
  return HALF_LOG_TWO_PI + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** The continued fraction of the incomplete beta function (modified Lentz). */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let result = d;
  for (let m = 1; m <= 1000; m++) {
    const m2 = 2 * m;
    // Even step.
    let term = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + term * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + term / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    result *= d * c;
    // Odd step.
    term = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + term * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + term / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    result *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return result;
}

/** The regularized incomplete beta function I_x(a, b): the beta(a, b) distribution's CDF at x. */
export function regularizedIncompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const logFront =
    logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x);
  // The continued fraction converges fast below the mean; use the symmetry above it.
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(logFront) * betaContinuedFraction(x, a, b)) / a;
  return 1 - (Math.exp(logFront) * betaContinuedFraction(1 - x, b, a)) / b;
}

/**
 * scipy.stats.beta.ppf(q, a, b): the x in [0, 1] with I_x(a, b) = q, by bisection (the CDF is
 * monotone, and 64 halvings pin x to the last bit of a double).
 */
export function betaQuantile(q: number, a: number, b: number): number {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`betaQuantile: q ${q} is not in [0, 1]`);
  if (!(a > 0 && b > 0)) throw new RangeError(`betaQuantile: a ${a} and b ${b} must be positive`);
  if (q === 0) return 0;
  if (q === 1) return 1;
  let low = 0;
  let high = 1;
  for (let i = 0; i < 64 && high - low > 0; i++) {
    const mid = 0.5 * (low + high);
    if (mid === low || mid === high) break;
    if (regularizedIncompleteBeta(mid, a, b) < q) low = mid;
    else high = mid;
  }
  return 0.5 * (low + high);
}
