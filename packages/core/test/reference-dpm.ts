/**
 * Independent float64 transcriptions of the DPM-Solver family beyond the multistep DPM-Solver++
 * of reference.ts: scheduling_dpmsolver_singlestep.py (every order, solver type and the
 * sde-dpmsolver++ algorithm) and scheduling_dpmsolver_multistep_inverse.py, written from the
 * Python without the implementation under test. Model outputs are the dummy model's, converted to
 * x0 predictions (epsilon prediction).
 */
import { dummyModel } from './reference.js';
import { add, combine, scaleVec } from './reference-extra.js';
import type { Vector } from './reference-extra.js';

/** alpha_t, sigma_t and lambda_t of the VP process at noise level `sigma`. */
const vp = (sigma: number): [alpha: number, sigmaT: number, lambda: number] => {
  const alpha = 1 / Math.sqrt(sigma * sigma + 1);
  return [alpha, sigma * alpha, Math.log(alpha) - Math.log(sigma * alpha)];
};

export interface SinglestepOptions {
  /** diffusers' order_list for the run. */
  readonly orders: readonly number[];
  readonly solverType?: 'midpoint' | 'heun';
  /** The standard normals of step k for sde-dpmsolver++; none: dpmsolver++. */
  readonly noise?: (step: number) => Vector;
}

/**
 * DPMSolverSinglestepScheduler with dpmsolver++ or sde-dpmsolver++: each group of steps restarts
 * from the sample where it began (the input of its order-1 step) and integrates to the current
 * sigma with the x0 predictions made inside the group (m0 newest); an order above the outputs
 * stored so far drops to what is stored, as diffusers' `while model_outputs[-order] is None`.
 */
export function refDpmSinglestepLoop(
  sigmas: number[],
  timesteps: number[],
  start: Vector,
  { orders, solverType = 'midpoint', noise }: SinglestepOptions,
): Vector {
  let x = [...start];
  let groupStart = x;
  const outputs: Vector[] = [];
  timesteps.forEach((t, i) => {
    const [alpha, sigma] = vp(sigmas[i] as number);
    const output = dummyModel(x, t);
    outputs.unshift(x.map((v, j) => (v - sigma * (output[j] as number)) / alpha));
    const order = Math.min(orders[i] as number, outputs.length);
    if (order === 1) groupStart = x;
    const [alphaT, sigmaT, lambdaT] = vp(sigmas[i + 1] as number);
    const [, sigmaS, lambdaS] = vp(sigmas[i + 1 - order] as number);
    const h = lambdaT - lambdaS;
    // dpmsolver++ integrates with exp(-h) - 1; the SDE variant with 1 - exp(-2h) over -2h.
    const sde = noise !== undefined;
    const phi1 = sde ? 1 - Math.exp(-2 * h) : -(Math.exp(-h) - 1);
    const phi2 = sde ? (1 - Math.exp(-2 * h)) / (-2 * h) + 1 : (Math.exp(-h) - 1) / h + 1;
    const phi3 = sde
      ? (1 - Math.exp(-2 * h) - 2 * h) / (4 * h * h) - 0.5
      : -((Math.exp(-h) - 1 + h) / (h * h) - 0.5);
    const terms: [number, Vector][] = [[(sigmaT / sigmaS) * (sde ? Math.exp(-h) : 1), groupStart]];
    const m0 = outputs[0] as Vector;
    if (order === 1) {
      terms.push([alphaT * phi1, m0]);
    } else if (order === 2) {
      const [, , lambdaS0] = vp(sigmas[i] as number);
      const m1 = outputs[1] as Vector;
      const d1 = scaleVec(add(m0, scaleVec(m1, -1)), h / (lambdaS0 - lambdaS));
      terms.push([alphaT * phi1, m1]);
      terms.push([solverType === 'midpoint' ? 0.5 * alphaT * phi1 : alphaT * phi2, d1]);
    } else {
      const [, , lambdaS0] = vp(sigmas[i] as number);
      const [, , lambdaS1] = vp(sigmas[i - 1] as number);
      const [m1, m2] = [outputs[1] as Vector, outputs[2] as Vector];
      const r0 = (lambdaS0 - lambdaS) / h;
      const r1 = (lambdaS1 - lambdaS) / h;
      const d10 = scaleVec(add(m1, scaleVec(m2, -1)), 1 / r1);
      const d11 = scaleVec(add(m0, scaleVec(m2, -1)), 1 / r0);
      terms.push([alphaT * phi1, m2]);
      if (solverType === 'midpoint') {
        terms.push([alphaT * phi2, d11]);
      } else {
        const d1 = scaleVec(add(scaleVec(d10, r0), scaleVec(d11, -r1)), 1 / (r0 - r1));
        const d2 = scaleVec(add(d11, scaleVec(d10, -1)), 2 / (r0 - r1));
        terms.push([alphaT * phi2, d1], [alphaT * phi3, d2]);
      }
    }
    if (noise) terms.push([sigmaT * Math.sqrt(1 - Math.exp(-2 * h)), noise(i)]);
    x = combine(terms);
  });
  return x;
}

/** DPMSolverMultistepInverseScheduler: DPM-Solver++(2M) midpoint over ascending sigmas, first order at the ends. */
export function refDpmInverseLoop(sigmas: number[], timesteps: number[], start: Vector): Vector {
  let x = [...start];
  let previous: Vector | null = null;
  timesteps.forEach((t, i) => {
    const [alphaS, sigmaS, lambdaS] = vp(sigmas[i] as number);
    const output = dummyModel(x, t);
    const x0 = x.map((v, j) => (v - sigmaS * (output[j] as number)) / alphaS);
    const [alphaT, sigmaT, lambdaT] = vp(sigmas[i + 1] as number);
    const h = lambdaT - lambdaS;
    if (previous === null || i === timesteps.length - 1) {
      x = combine([
        [sigmaT / sigmaS, x],
        [-alphaT * (Math.exp(-h) - 1), x0],
      ]);
    } else {
      const [, , lambdaS1] = vp(sigmas[i - 1] as number);
      const d1 = scaleVec(add(x0, scaleVec(previous, -1)), h / (lambdaS - lambdaS1));
      x = combine([
        [sigmaT / sigmaS, x],
        [-alphaT * (Math.exp(-h) - 1), x0],
        [-0.5 * alphaT * (Math.exp(-h) - 1), d1],
      ]);
    }
    previous = x0;
  });
  return x;
}
