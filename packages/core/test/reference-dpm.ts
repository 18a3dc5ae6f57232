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

export interface MultistepOptions {
  readonly algorithm: 'dpmsolver++' | 'dpmsolver' | 'sde-dpmsolver++' | 'sde-dpmsolver';
  readonly solverOrder: number;
  readonly solverType: 'midpoint' | 'heun';
  /** The standard normals of step k, for the SDE variants. */
  readonly noise?: (step: number) => Vector;
}

/**
 * DPMSolverMultistepScheduler (lower_order_final with under 15 steps, or a zero final sigma):
 * first order while fewer outputs are stored and on the last step, at most second order on the
 * step before it, else the configured order; dpm_solver_first_order_update and the multistep
 * second and third order updates of each algorithm type. The ++ variants integrate the x0
 * prediction, the others the noise prediction.
 */
export function refDpmMultistepLoop(
  sigmas: number[],
  timesteps: number[],
  start: Vector,
  { algorithm, solverOrder, solverType, noise }: MultistepOptions,
): Vector {
  let x = [...start];
  const outputs: Vector[] = [];
  const dataPrediction = algorithm === 'dpmsolver++' || algorithm === 'sde-dpmsolver++';
  const count = timesteps.length;
  const lowerOrderFinal = count < 15 || sigmas[count] === 0;
  timesteps.forEach((t, i) => {
    const [alphaS, sigmaS, lambdaS] = vp(sigmas[i] as number);
    const epsilon = dummyModel(x, t);
    outputs.unshift(
      dataPrediction ? x.map((v, j) => (v - sigmaS * (epsilon[j] as number)) / alphaS) : epsilon,
    );
    let order = Math.min(solverOrder, outputs.length);
    if (lowerOrderFinal && i === count - 1) order = 1;
    if (lowerOrderFinal && i === count - 2 && count < 15) order = Math.min(order, 2);
    const [alphaT, sigmaT, lambdaT] = vp(sigmas[i + 1] as number);
    const h = lambdaT - lambdaS;
    // x_t = scale * x + phi1 * D0 + phi2 * D1 (+ phi3 * D2) + noiseScale * z, per algorithm.
    const em = Math.exp(-h) - 1;
    const ep = Math.exp(h) - 1;
    const e2 = 1 - Math.exp(-2 * h);
    const [scale, phi1, phiMid, phiHeun, phi3, noiseScale] = {
      'dpmsolver++': [
        sigmaT / sigmaS,
        -alphaT * em,
        -0.5 * alphaT * em,
        alphaT * (em / h + 1),
        -alphaT * ((em + h) / (h * h) - 0.5),
        0,
      ],
      dpmsolver: [
        alphaT / alphaS,
        -sigmaT * ep,
        -0.5 * sigmaT * ep,
        -sigmaT * (ep / h - 1),
        -sigmaT * ((ep - h) / (h * h) - 0.5),
        0,
      ],
      'sde-dpmsolver++': [
        (sigmaT / sigmaS) * Math.exp(-h),
        alphaT * e2,
        0.5 * alphaT * e2,
        alphaT * (e2 / (-2 * h) + 1),
        NaN,
        sigmaT * Math.sqrt(e2),
      ],
      'sde-dpmsolver': [
        alphaT / alphaS,
        -2 * sigmaT * ep,
        -sigmaT * ep,
        -2 * sigmaT * (ep / h - 1),
        NaN,
        sigmaT * Math.sqrt(Math.exp(2 * h) - 1),
      ],
    }[algorithm] as number[];
    const m0 = outputs[0] as Vector;
    const terms: [number, Vector][] = [
      [scale as number, x],
      [phi1 as number, m0],
    ];
    if (order >= 2) {
      const [, , lambdaS1] = vp(sigmas[i - 1] as number);
      const r0 = (lambdaS - lambdaS1) / h;
      const d10 = scaleVec(add(m0, scaleVec(outputs[1] as Vector, -1)), 1 / r0);
      if (order === 2) {
        terms.push([(solverType === 'midpoint' ? phiMid : phiHeun) as number, d10]);
      } else {
        const [, , lambdaS2] = vp(sigmas[i - 2] as number);
        const r1 = (lambdaS1 - lambdaS2) / h;
        const d11 = scaleVec(add(outputs[1] as Vector, scaleVec(outputs[2] as Vector, -1)), 1 / r1);
        const difference = add(d10, scaleVec(d11, -1));
        const d1 = add(d10, scaleVec(difference, r0 / (r0 + r1)));
        const d2 = scaleVec(difference, 1 / (r0 + r1));
        terms.push([phiHeun as number, d1], [phi3 as number, d2]);
      }
    }
    if (noise) terms.push([noiseScale as number, noise(i)]);
    x = combine(terms);
  });
  return x;
}
