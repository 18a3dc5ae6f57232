/**
 * The multistep DPM-Solver updates (Lu et al. 2022) of diffusers' DPMSolverMultistepScheduler,
 * shared with EDMDPMSolverMultistepScheduler and DPMSolverMultistepInverseScheduler, in float32 as
 * diffusers computes them (0-d tensors for the coefficients, then tensor arithmetic), so that
 * full loops agree with diffusers to float32 rounding. Nothing here allocates.
 */

const f = Math.fround;

export const DPM_ALGORITHM_TYPES = Object.freeze([
  'dpmsolver++',
  'dpmsolver',
  'sde-dpmsolver++',
  'sde-dpmsolver',
] as const);
export type DpmAlgorithmType = (typeof DPM_ALGORITHM_TYPES)[number];
export type DpmSolverType = 'midpoint' | 'heun';

/** Whether the algorithm works on x0 predictions (the ++ variants) rather than on epsilon. */
export function predictsData(algorithm: DpmAlgorithmType): boolean {
  return algorithm === 'dpmsolver++' || algorithm === 'sde-dpmsolver++';
}

export function isStochastic(algorithm: DpmAlgorithmType): boolean {
  return algorithm === 'sde-dpmsolver++' || algorithm === 'sde-dpmsolver';
}

/**
 * alpha_t, sigma_t and lambda_t = log(alpha_t) - log(sigma_t) at noise level `sigma`, written to
 * out[offset..offset + 2]: the VP process (diffusers' _sigma_to_alpha_sigma_t:
 * alpha = 1 / sqrt(sigma^2 + 1), sigma_t = sigma * alpha) or, with `edm`, alpha = 1 and sigma_t =
 * sigma (inputs are pre-scaled in EDM). sigma = 0 gives lambda = +Infinity.
 */
export function alphaSigmaLambdaInto(
  out: Float64Array,
  offset: number,
  sigma: number,
  edm: boolean,
): void {
  const alpha = edm ? 1 : f(1 / f(Math.sqrt(f(f(sigma * sigma) + 1))));
  const sigmaT = edm ? sigma : f(sigma * alpha);
  out[offset] = alpha;
  out[offset + 1] = sigmaT;
  out[offset + 2] = f(f(Math.log(alpha)) - f(Math.log(sigmaT)));
}

/**
 * One multistep update x_t from `sample` with the converted outputs m0 (newest), m1, m2 and the
 * alpha/sigma/lambda triples in `state`: [t, s0, s1, s2] at offsets 0, 3, 6, 9 (as
 * alphaSigmaLambdaInto writes them). `noise` is read by the SDE variants. Writes `prevSample`
 * (may alias `sample`).
 */
export function dpmMultistepUpdate(
  prevSample: Float32Array,
  sample: Float32Array,
  m0: Float32Array,
  m1: Float32Array | null,
  m2: Float32Array | null,
  state: Float64Array,
  order: number,
  algorithm: DpmAlgorithmType,
  solverType: DpmSolverType,
  noise: Float32Array | null,
): void {
  const n = sample.length;
  const alphaT = state[0] as number;
  const sigmaT = state[1] as number;
  const lambdaT = state[2] as number;
  const alphaS0 = state[3] as number;
  const sigmaS0 = state[4] as number;
  const lambdaS0 = state[5] as number;
  const h = f(lambdaT - lambdaS0);
  if (h === 0) {
    // A zero-width step (the final sigma equal to the last scheduled one, as Karras or Lu sigmas
    // with final_sigmas_type 'sigma_min' give) leaves the sample where it is; the higher-order
    // updates would divide by h and return NaN.
    if (prevSample !== sample) prevSample.set(sample);
    return;
  }
  const expMinusH = f(Math.exp(-h));
  const expH = f(Math.exp(h));
  const data = predictsData(algorithm);
  const sde = isStochastic(algorithm);
  // x_t = a * sample + b * D0 + c * D1 + d * D2 + e * noise, each coefficient a float32 0-d tensor.
  let a: number;
  let b: number;
  let e = 0;
  if (algorithm === 'dpmsolver++') {
    a = f(sigmaT / sigmaS0);
    b = f(-f(alphaT * f(expMinusH - 1)));
  } else if (algorithm === 'dpmsolver') {
    a = f(alphaT / alphaS0);
    b = f(-f(sigmaT * f(expH - 1)));
  } else if (algorithm === 'sde-dpmsolver++') {
    const expMinus2H = f(Math.exp(f(-2 * h)));
    a = f(f(sigmaT / sigmaS0) * expMinusH);
    b = f(alphaT * f(1 - expMinus2H));
    e = f(sigmaT * f(Math.sqrt(f(1 - expMinus2H))));
  } else {
    const exp2H = f(Math.exp(f(2 * h)));
    a = f(alphaT / alphaS0);
    b = f(-f(2 * f(sigmaT * f(expH - 1))));
    e = f(sigmaT * f(Math.sqrt(f(exp2H - 1))));
  }
  if (order === 1 || m1 === null) {
    for (let i = 0; i < n; i++) {
      let value = f(f(a * (sample[i] as number)) + f(b * (m0[i] as number)));
      if (sde) value = f(value + f(e * ((noise as Float32Array)[i] as number)));
      prevSample[i] = value;
    }
    return;
  }
  const lambdaS1 = state[8] as number;
  const h0 = f(lambdaS0 - lambdaS1);
  const r0 = f(h0 / h);
  const inverseR0 = f(1 / r0);
  if (order === 2 || m2 === null) {
    let c: number;
    if (solverType === 'midpoint') {
      if (algorithm === 'dpmsolver++') c = f(-f(0.5 * f(alphaT * f(expMinusH - 1))));
      else if (algorithm === 'dpmsolver') c = f(-f(0.5 * f(sigmaT * f(expH - 1))));
      else if (algorithm === 'sde-dpmsolver++') c = f(0.5 * b);
      else c = f(-f(sigmaT * f(expH - 1)));
    } else {
      if (algorithm === 'dpmsolver++') c = f(alphaT * f(f(f(expMinusH - 1) / h) + 1));
      else if (algorithm === 'dpmsolver') c = f(-f(sigmaT * f(f(f(expH - 1) / h) - 1)));
      else if (algorithm === 'sde-dpmsolver++') {
        const expMinus2H = f(Math.exp(f(-2 * h)));
        c = f(alphaT * f(f(f(1 - expMinus2H) / f(-2 * h)) + 1));
      } else c = f(-f(2 * f(sigmaT * f(f(f(expH - 1) / h) - 1))));
    }
    for (let i = 0; i < n; i++) {
      const d0 = m0[i] as number;
      const d1 = f(inverseR0 * f(d0 - (m1[i] as number)));
      let value = f(f(f(a * (sample[i] as number)) + f(b * d0)) + f(c * d1));
      if (sde) value = f(value + f(e * ((noise as Float32Array)[i] as number)));
      prevSample[i] = value;
    }
    return;
  }
  // Third order (the deterministic algorithms only, as diffusers).
  const lambdaS2 = state[11] as number;
  const h1 = f(lambdaS1 - lambdaS2);
  const r1 = f(h1 / h);
  const inverseR1 = f(1 / r1);
  const rSum = f(r0 + r1);
  const weight = f(r0 / rSum);
  const inverseRSum = f(1 / rSum);
  let c: number;
  let d: number;
  if (data) {
    c = f(alphaT * f(f(f(expMinusH - 1) / h) + 1));
    d = f(-f(alphaT * f(f(f(f(expMinusH - 1) + h) / f(h * h)) - 0.5)));
  } else {
    c = f(-f(sigmaT * f(f(f(expH - 1) / h) - 1)));
    d = f(-f(sigmaT * f(f(f(f(expH - 1) - h) / f(h * h)) - 0.5)));
  }
  for (let i = 0; i < n; i++) {
    const d0 = m0[i] as number;
    const v1 = m1[i] as number;
    const d10 = f(inverseR0 * f(d0 - v1));
    const d11 = f(inverseR1 * f(v1 - (m2[i] as number)));
    const difference = f(d10 - d11);
    const d1 = f(d10 + f(weight * difference));
    const d2 = f(inverseRSum * difference);
    prevSample[i] = f(f(f(f(a * (sample[i] as number)) + f(b * d0)) + f(c * d1)) + f(d * d2));
  }
}
