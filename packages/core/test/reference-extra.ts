/**
 * More independent float64 transcriptions, for the schedulers added after reference.ts:
 * scheduling_k_dpm_2_discrete.py, scheduling_k_dpm_2_ancestral_discrete.py, scheduling_edm_euler.py,
 * scheduling_edm_dpmsolver_multistep.py, scheduling_ipndm.py, scheduling_tcd.py,
 * scheduling_ddim_inverse.py and scheduling_dpmsolver_sde.py (the DPM-Solver family is in
 * reference-dpm.ts), written from the Python (and k-diffusion's samplers)
 * without the implementation under test. `timesteps` are the scheduler's (the model's t per
 * evaluation); `noise(k)` is the noise the k-th model evaluation's step receives.
 */
import { dummyModel, refNoise } from './reference.js';

export type Vector = number[];

export const scaleVec = (v: Vector, c: number): Vector => v.map((x) => x * c);
export const add = (a: Vector, b: Vector): Vector => a.map((x, i) => x + (b[i] as number));
/** The linear combination sum of c * v over `terms`, element by element. */
export const combine = (terms: [number, Vector][]): Vector =>
  (terms[0] as [number, Vector])[1].map((_, i) =>
    terms.reduce((sum, [c, v]) => sum + c * (v[i] as number), 0),
  );

/** sample_dpm_2 (KDPM2): Euler to the log-midpoint, then the midpoint's derivative over the whole step. */
export function refKdpm2Loop(sigmas: number[], timesteps: number[], start: Vector): Vector {
  let x = scaleVec(start, sigmas[0] as number);
  const n = sigmas.length - 1;
  let evaluation = 0;
  const eps = (v: Vector, s: number): Vector =>
    dummyModel(scaleVec(v, 1 / Math.sqrt(s * s + 1)), timesteps[evaluation++] as number);
  for (let i = 0; i < n; i++) {
    const s = sigmas[i] as number;
    const next = sigmas[i + 1] as number;
    // For an epsilon model the derivative (x - denoised) / sigma is the model output itself.
    const d = eps(x, s);
    if (next === 0) {
      x = add(x, scaleVec(d, next - s));
      break;
    }
    const mid = Math.exp((Math.log(s) + Math.log(next)) / 2);
    const x2 = add(x, scaleVec(d, mid - s));
    const d2 = eps(x2, mid);
    x = add(x, scaleVec(d2, next - s));
  }
  return x;
}

/** sample_dpm_2_ancestral (KDPM2 ancestral): to the midpoint towards sigma_down, then noise times sigma_up. */
export function refKdpm2AncestralLoop(
  sigmas: number[],
  timesteps: number[],
  start: Vector,
): Vector {
  let x = scaleVec(start, sigmas[0] as number);
  const n = sigmas.length - 1;
  let evaluation = 0;
  const eps = (v: Vector, s: number): Vector =>
    dummyModel(scaleVec(v, 1 / Math.sqrt(s * s + 1)), timesteps[evaluation++] as number);
  for (let i = 0; i < n; i++) {
    const s = sigmas[i] as number;
    const next = sigmas[i + 1] as number;
    const up = Math.sqrt((next * next * (s * s - next * next)) / (s * s));
    const down = Math.sqrt(next * next - up * up);
    const d = eps(x, s);
    if (down === 0) {
      x = add(x, scaleVec(d, -s));
      break;
    }
    const mid = Math.exp((Math.log(s) + Math.log(down)) / 2);
    const x2 = add(x, scaleVec(d, mid - s));
    const k = evaluation;
    const d2 = eps(x2, mid);
    x = add(add(x, scaleVec(d2, down - s)), scaleVec(refNoise(x.length, k), up));
  }
  return x;
}

/** Karras et al.'s sigmas between sigma_max and sigma_min (rho 7), float64, then the final 0. */
export function refEdmSigmas(count: number, sigmaMin = 0.002, sigmaMax = 80): number[] {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const r = count === 1 ? 0 : i / (count - 1);
    out.push((sigmaMax ** (1 / 7) + r * (sigmaMin ** (1 / 7) - sigmaMax ** (1 / 7))) ** 7);
  }
  return [...out, 0];
}

/** EDM's denoiser from the model run on c_in-scaled input at c_noise = log(sigma) / 4. */
function edmDenoised(x: Vector, s: number): Vector {
  const variance = s * s + 0.25;
  const output = dummyModel(scaleVec(x, 1 / Math.sqrt(variance)), 0.25 * Math.log(s));
  return combine([
    [0.25 / variance, x],
    [(s * 0.5) / Math.sqrt(variance), output],
  ]);
}

/** EDMEulerScheduler without churn: x += (x - D(x)) / sigma * (sigma_next - sigma). */
export function refEdmEulerLoop(sigmas: number[], start: Vector): Vector {
  let x = scaleVec(start, Math.sqrt(80 * 80 + 1));
  for (let i = 0; i + 1 < sigmas.length; i++) {
    const s = sigmas[i] as number;
    const denoised = edmDenoised(x, s);
    x = x.map((v, j) => v + ((v - (denoised[j] as number)) / s) * ((sigmas[i + 1] as number) - s));
  }
  return x;
}

/** EDMDPMSolverMultistepScheduler, DPM-Solver++(2M) midpoint with alpha = 1, first order at the ends. */
export function refEdmDpmLoop(sigmas: number[], start: Vector): Vector {
  let x = scaleVec(start, Math.sqrt(80 * 80 + 1));
  const n = sigmas.length - 1;
  let previous: Vector | null = null;
  for (let i = 0; i < n; i++) {
    const s = sigmas[i] as number;
    const next = sigmas[i + 1] as number;
    const x0 = edmDenoised(x, s);
    const h = -Math.log(next) + Math.log(s);
    const first = previous === null || i === n - 1;
    if (first) {
      x = combine([
        [next / s, x],
        [-(Math.exp(-h) - 1), x0],
      ]);
    } else {
      const h0 = Math.log(sigmas[i - 1] as number) - Math.log(s);
      const d1 = scaleVec(add(x0, scaleVec(previous as Vector, -1)), h / h0);
      x = combine([
        [next / s, x],
        [-(Math.exp(-h) - 1), x0],
        [-0.5 * (Math.exp(-h) - 1), d1],
      ]);
    }
    previous = x0;
  }
  return x;
}

/** IPNDM: sigma = sin(pi s / 2)^2 on s = 1 .. 0, ets = x sigma + F alpha, Adams-Bashforth up to 4th order. */
export function refIpndmLoop(steps: number, start: Vector): Vector {
  const s = Array.from({ length: steps + 1 }, (_, i) => (i === steps ? 0 : 1 - i / steps));
  const betas = s.map((v) => Math.sin((v * Math.PI) / 2) ** 2);
  const alphas = betas.map((b) => Math.sqrt(1 - b * b));
  let x = [...start];
  const history: Vector[] = [];
  for (let i = 0; i < steps; i++) {
    const b = betas[i] as number;
    const a = alphas[i] as number;
    const t = (Math.atan2(b, a) / Math.PI) * 2;
    const output = dummyModel(x, t);
    history.unshift(x.map((v, j) => v * b + (output[j] as number) * a));
    const [e0, e1, e2, e3] = history as [Vector, Vector?, Vector?, Vector?];
    let ets: Vector;
    if (history.length === 1) ets = e0;
    else if (history.length === 2)
      ets = combine([
        [1.5, e0],
        [-0.5, e1 as Vector],
      ]);
    else if (history.length === 3)
      ets = combine([
        [23 / 12, e0],
        [-16 / 12, e1 as Vector],
        [5 / 12, e2 as Vector],
      ]);
    else
      ets = combine([
        [55 / 24, e0],
        [-59 / 24, e1 as Vector],
        [37 / 24, e2 as Vector],
        [-9 / 24, e3 as Vector],
      ]);
    const predicted = x.map((v, j) => (v - b * (ets[j] as number)) / Math.max(a, 1e-8));
    x = combine([
      [alphas[i + 1] as number, predicted],
      [betas[i + 1] as number, ets],
    ]);
  }
  return x;
}

/** TCDScheduler.step with gamma (eta) over a full loop; noise every step but the last. */
export function refTcdLoop(
  alphasCumprod: number[],
  timesteps: number[],
  start: Vector,
  eta: number,
): Vector {
  let x = [...start];
  timesteps.forEach((t, k) => {
    const last = k === timesteps.length - 1;
    const prev = last ? 0 : (timesteps[k + 1] as number);
    const intermediate = Math.floor((1 - eta) * prev);
    const a = alphasCumprod[t] as number;
    const aPrev = alphasCumprod[prev] as number;
    const aS = alphasCumprod[intermediate] as number;
    const output = dummyModel(x, t);
    const x0 = x.map((v, j) => (v - Math.sqrt(1 - a) * (output[j] as number)) / Math.sqrt(a));
    const noised = combine([
      [Math.sqrt(aS), x0],
      [Math.sqrt(1 - aS), output],
    ]);
    x =
      eta > 0 && !last
        ? combine([
            [Math.sqrt(aPrev / aS), noised],
            [Math.sqrt(1 - aPrev / aS), refNoise(x.length, k)],
          ])
        : noised;
  });
  return x;
}

/** DDIMInverseScheduler: deterministic DDIM from t - stride (alpha 1 before the first) up to t, x0 clipped. */
export function refDdimInverseLoop(
  alphasCumprod: number[],
  timesteps: number[],
  stride: number,
  start: Vector,
): Vector {
  let x = [...start];
  for (const t of timesteps) {
    const from = Math.min(t - stride, alphasCumprod.length - 1);
    const a = from >= 0 ? (alphasCumprod[from] as number) : 1;
    const aNext = alphasCumprod[t] as number;
    const output = dummyModel(x, t);
    const x0 = x.map((v, j) =>
      Math.min(1, Math.max(-1, (v - Math.sqrt(1 - a) * (output[j] as number)) / Math.sqrt(a))),
    );
    x = combine([
      [Math.sqrt(aNext), x0],
      [Math.sqrt(1 - aNext), output],
    ]);
  }
  return x;
}

/**
 * DPMSolverSDEScheduler (k-diffusion's sample_dpmpp_sde, eta 1, r 1/2): each half-step is an
 * exponential-integrator step towards sigma_down plus noise times sigma_up; `noise(k)` is the
 * k-th evaluation's.
 */
export function refDpmSdeLoop(sigmas: number[], timesteps: number[], start: Vector): Vector {
  let x = scaleVec(start, sigmas[0] as number);
  let evaluation = 0;
  const denoise = (v: Vector, s: number): Vector => {
    const output = dummyModel(
      scaleVec(v, 1 / Math.sqrt(s * s + 1)),
      timesteps[evaluation++] as number,
    );
    return v.map((value, j) => value - s * (output[j] as number));
  };
  const ancestral = (
    base: Vector,
    denoised: Vector,
    sigmaFrom: number,
    sigmaTo: number,
    noise: Vector,
  ): Vector => {
    const up = Math.min(
      sigmaTo,
      Math.sqrt(
        (sigmaTo * sigmaTo * (sigmaFrom * sigmaFrom - sigmaTo * sigmaTo)) / (sigmaFrom * sigmaFrom),
      ),
    );
    const down = Math.sqrt(sigmaTo * sigmaTo - up * up);
    const t = -Math.log(sigmaFrom);
    const tDown = -Math.log(down);
    return combine([
      [down / sigmaFrom, base],
      [-Math.expm1(t - tDown), denoised],
      [up, noise],
    ]);
  };
  for (let i = 0; i + 1 < sigmas.length; i++) {
    const s = sigmas[i] as number;
    const next = sigmas[i + 1] as number;
    const k = evaluation;
    const denoised = denoise(x, s);
    if (next === 0) {
      x = denoised;
      break;
    }
    const mid = Math.exp(-(-Math.log(s) + (-Math.log(next) + Math.log(s)) / 2));
    const x2 = ancestral(x, denoised, s, mid, refNoise(x.length, k));
    const k2 = evaluation;
    const denoised2 = denoise(x2, mid);
    x = ancestral(x, denoised2, s, next, refNoise(x.length, k2));
  }
  return x;
}

/**
 * LMSDiscreteScheduler (k-diffusion's sample_lms, order 4): the derivative (epsilon) of each step
 * and the integrals of the Lagrange basis through the last min(step + 1, 4) sigmas, by Simpson's
 * rule (exact for these cubic polynomials).
 */
export function refLmsLoop(sigmas: number[], timesteps: number[], start: Vector): Vector {
  let x = scaleVec(start, sigmas[0] as number);
  const derivatives: Vector[] = [];
  timesteps.forEach((t, i) => {
    const s = sigmas[i] as number;
    derivatives.unshift(dummyModel(scaleVec(x, 1 / Math.sqrt(s * s + 1)), t));
    if (derivatives.length > 4) derivatives.pop();
    const order = Math.min(i + 1, 4);
    const basis = (tau: number, current: number): number => {
      let product = 1;
      for (let k = 0; k < order; k++) {
        if (k === current) continue;
        product *=
          (tau - (sigmas[i - k] as number)) /
          ((sigmas[i - current] as number) - (sigmas[i - k] as number));
      }
      return product;
    };
    const a = s;
    const b = sigmas[i + 1] as number;
    const intervals = 64;
    const width = (b - a) / intervals;
    const terms: [number, Vector][] = [[1, x]];
    for (let current = 0; current < Math.min(order, derivatives.length); current++) {
      let integral = 0;
      for (let j = 0; j <= intervals; j++) {
        const weight = j === 0 || j === intervals ? 1 : j % 2 === 1 ? 4 : 2;
        integral += weight * basis(a + j * width, current);
      }
      terms.push([(integral * width) / 3, derivatives[current] as Vector]);
    }
    x = combine(terms);
  });
  return x;
}

/** LCMScheduler.step over a full loop: consistency boundary conditions, noise every step but the last. */
export function refLcmLoop(alphasCumprod: number[], timesteps: number[], start: Vector): Vector {
  let x = [...start];
  timesteps.forEach((t, k) => {
    const last = k === timesteps.length - 1;
    const prev = last ? t : (timesteps[k + 1] as number);
    const a = alphasCumprod[t] as number;
    const aPrev = alphasCumprod[prev] as number;
    const scaled = t * 10;
    const cSkip = 0.25 / (scaled * scaled + 0.25);
    const cOut = scaled / Math.sqrt(scaled * scaled + 0.25);
    const output = dummyModel(x, t);
    const x0 = x.map((v, j) => (v - Math.sqrt(1 - a) * (output[j] as number)) / Math.sqrt(a));
    const denoised = combine([
      [cOut, x0],
      [cSkip, x],
    ]);
    x = last
      ? denoised
      : combine([
          [Math.sqrt(aPrev), denoised],
          [Math.sqrt(1 - aPrev), refNoise(x.length, k)],
        ]);
  });
  return x;
}

/**
 * PNDMScheduler with skip_prk_steps (PLMS only): the second evaluation re-evaluates the first
 * step at its result and averages, then Adams-Bashforth up to 4th order on the outputs, each step
 * by formula (9) of the PNDM paper; alphas_cumprod[0] after the last step (set_alpha_to_one false).
 */
export function refPlmsLoop(
  alphasCumprod: number[],
  timesteps: number[],
  stride: number,
  start: Vector,
): Vector {
  let x = [...start];
  const ets: Vector[] = [];
  let firstSample: Vector | null = null;
  const previous = (sample: Vector, t: number, prevT: number, e: Vector): Vector => {
    const a = alphasCumprod[t] as number;
    const aPrev = prevT >= 0 ? (alphasCumprod[prevT] as number) : (alphasCumprod[0] as number);
    const denominator = a * Math.sqrt(1 - aPrev) + Math.sqrt(a * (1 - a) * aPrev);
    return combine([
      [Math.sqrt(aPrev / a), sample],
      [-(aPrev - a) / denominator, e],
    ]);
  };
  timesteps.forEach((t, counter) => {
    const output = dummyModel(x, t);
    let current = t;
    let prevT = t - stride;
    if (counter === 1) {
      prevT = t;
      current = t + stride;
    } else {
      ets.unshift(output);
    }
    let e: Vector;
    let base = x;
    if (ets.length === 1 && counter === 0) {
      e = output;
      firstSample = x;
    } else if (ets.length === 1 && counter === 1) {
      e = combine([
        [0.5, output],
        [0.5, ets[0] as Vector],
      ]);
      base = firstSample as Vector;
    } else if (ets.length === 2) {
      e = combine([
        [1.5, ets[0] as Vector],
        [-0.5, ets[1] as Vector],
      ]);
    } else if (ets.length === 3) {
      e = combine([
        [23 / 12, ets[0] as Vector],
        [-16 / 12, ets[1] as Vector],
        [5 / 12, ets[2] as Vector],
      ]);
    } else {
      e = combine([
        [55 / 24, ets[0] as Vector],
        [-59 / 24, ets[1] as Vector],
        [37 / 24, ets[2] as Vector],
        [-9 / 24, ets[3] as Vector],
      ]);
    }
    x = previous(base, current, prevT, e);
  });
  return x;
}
