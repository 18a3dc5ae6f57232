/**
 * Independent float64 transcriptions of diffusers' formulas (scheduling_ddpm.py, scheduling_ddim.py,
 * scheduling_euler_discrete.py, scheduling_euler_ancestral_discrete.py,
 * scheduling_dpmsolver_multistep.py, scheduling_heun_discrete.py, scheduling_unipc_multistep.py,
 * scheduling_deis_multistep.py), written from the Python source
 * without the implementation under test: plain arrays, no shared helpers.
 */
export function refLinearBetas(start: number, end: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => start + ((end - start) * i) / (count - 1));
}

export function refAlphasCumprod(betas: number[]): number[] {
  let product = 1;
  return betas.map((b) => (product *= 1 - b));
}

/** Dummy deterministic model: depends on the sample and t so every coefficient matters. */
export function dummyModel(sample: ArrayLike<number>, t: number): number[] {
  return Array.from(sample, (x, i) => 0.3 * x + 0.1 * Math.cos(i + t / 100));
}

export function refInitialSample(n: number): number[] {
  return Array.from({ length: n }, (_, i) => Math.sin(1.7 * i + 0.3) * 1.3);
}

export function refNoise(n: number, step: number): number[] {
  return Array.from({ length: n }, (_, i) => Math.cos(0.9 * i + 2.1 * step));
}

/** np.interp(t, arange, sigmas). */
function interp(t: number, table: number[]): number {
  const low = Math.floor(t);
  if (low >= table.length - 1) return table[table.length - 1] as number;
  const w = t - low;
  return (table[low] as number) * (1 - w) + (table[low + 1] as number) * w;
}

export function refDdpmLoop(
  alphasCumprod: number[],
  timesteps: number[],
  start: number[],
  clip: boolean,
): number[] {
  let x = [...start];
  timesteps.forEach((t, k) => {
    const prevT = k === timesteps.length - 1 ? -1 : (timesteps[k + 1] as number);
    const eps = dummyModel(x, t);
    const ab = alphasCumprod[t] as number;
    const abPrev = prevT >= 0 ? (alphasCumprod[prevT] as number) : 1;
    const currentAlpha = ab / abPrev;
    const currentBeta = 1 - currentAlpha;
    const x0 = x.map((xi, i) => {
      const v = (xi - Math.sqrt(1 - ab) * (eps[i] as number)) / Math.sqrt(ab);
      return clip ? Math.min(1, Math.max(-1, v)) : v;
    });
    const variance = Math.max(((1 - abPrev) / (1 - ab)) * currentBeta, 1e-20);
    const noise = refNoise(x.length, k);
    x = x.map(
      (xi, i) =>
        ((Math.sqrt(abPrev) * currentBeta) / (1 - ab)) * (x0[i] as number) +
        ((Math.sqrt(currentAlpha) * (1 - abPrev)) / (1 - ab)) * xi +
        (t > 0 ? Math.sqrt(variance) * (noise[i] as number) : 0),
    );
  });
  return x;
}

export function refDdimLoop(
  alphasCumprod: number[],
  timesteps: number[],
  stride: number,
  start: number[],
  eta: number,
  prediction: 'epsilon' | 'v_prediction',
): number[] {
  let x = [...start];
  timesteps.forEach((t, k) => {
    const out = dummyModel(x, t);
    const ab = alphasCumprod[t] as number;
    const prevT = t - stride;
    const abPrev = prevT >= 0 ? (alphasCumprod[prevT] as number) : 1;
    const x0 = x.map((xi, i) =>
      prediction === 'epsilon'
        ? (xi - Math.sqrt(1 - ab) * (out[i] as number)) / Math.sqrt(ab)
        : Math.sqrt(ab) * xi - Math.sqrt(1 - ab) * (out[i] as number),
    );
    const eps = x.map((xi, i) =>
      prediction === 'epsilon'
        ? (out[i] as number)
        : Math.sqrt(ab) * (out[i] as number) + Math.sqrt(1 - ab) * xi,
    );
    const std = eta * Math.sqrt(((1 - abPrev) / (1 - ab)) * (1 - ab / abPrev));
    const noise = refNoise(x.length, k);
    x = x.map(
      (_, i) =>
        Math.sqrt(abPrev) * (x0[i] as number) +
        Math.sqrt(1 - abPrev - std * std) * (eps[i] as number) +
        (eta > 0 ? std * (noise[i] as number) : 0),
    );
  });
  return x;
}

export function refTrainSigmas(alphasCumprod: number[]): number[] {
  return alphasCumprod.map((a) => Math.sqrt((1 - a) / a));
}

export function refEulerSigmas(alphasCumprod: number[], timesteps: number[]): number[] {
  const train = refTrainSigmas(alphasCumprod);
  return [...timesteps.map((t) => interp(t, train)), 0];
}

export function refEulerLoop(
  sigmas: number[],
  timesteps: number[],
  start: number[],
  ancestral: boolean,
): number[] {
  let x = start.map((v) => v * (sigmas[0] as number));
  timesteps.forEach((t, k) => {
    const sigma = sigmas[k] as number;
    const input = x.map((v) => v / Math.sqrt(sigma * sigma + 1));
    const eps = dummyModel(input, t);
    const x0 = x.map((v, i) => v - sigma * (eps[i] as number));
    const next = sigmas[k + 1] as number;
    if (!ancestral) {
      x = x.map((v, i) => v + ((v - (x0[i] as number)) / sigma) * (next - sigma));
    } else {
      const up = Math.sqrt((next * next * (sigma * sigma - next * next)) / (sigma * sigma));
      const down = Math.sqrt(next * next - up * up);
      const noise = refNoise(x.length, k);
      x = x.map(
        (v, i) =>
          v + ((v - (x0[i] as number)) / sigma) * (down - sigma) + (noise[i] as number) * up,
      );
    }
  });
  return x;
}

export function refHeunLoop(sigmas: number[], timesteps: number[], start: number[]): number[] {
  let x = start.map((v) => v * (sigmas[0] as number));
  const denoise = (v: number[], sigma: number, t: number): number[] => {
    const eps = dummyModel(
      v.map((s) => s / Math.sqrt(sigma * sigma + 1)),
      t,
    );
    return v.map((s, i) => s - sigma * (eps[i] as number));
  };
  for (let k = 0; k < timesteps.length; k++) {
    const sigma = sigmas[k] as number;
    const next = sigmas[k + 1] as number;
    const x0 = denoise(x, sigma, timesteps[k] as number);
    const d = x.map((v, i) => (v - (x0[i] as number)) / sigma);
    const euler = x.map((v, i) => v + (d[i] as number) * (next - sigma));
    if (next === 0) {
      x = euler;
      break;
    }
    const x0Next = denoise(euler, next, timesteps[k + 1] as number);
    const d2 = euler.map((v, i) => (v - (x0Next[i] as number)) / next);
    x = x.map((v, i) => v + (((d[i] as number) + (d2[i] as number)) / 2) * (next - sigma));
  }
  return x;
}

/** DPM-Solver++(2M), midpoint, lower_order_final; sigmas has the final 0. */
export function refDpmSolverPlusPlus2M(
  sigmas: number[],
  timesteps: number[],
  start: number[],
): number[] {
  let x = [...start];
  const history: number[][] = [];
  const alphaSigma = (s: number): [number, number, number] => {
    const a = 1 / Math.sqrt(s * s + 1);
    return [a, s * a, Math.log(a) - Math.log(s * a)];
  };
  timesteps.forEach((t, k) => {
    const out = dummyModel(x, t);
    const [a0, s0, l0] = alphaSigma(sigmas[k] as number);
    const x0 = x.map((v, i) => (v - s0 * (out[i] as number)) / a0);
    history.unshift(x0);
    const [at, st, lt] = alphaSigma(sigmas[k + 1] as number);
    const h = lt - l0;
    const last = k === timesteps.length - 1;
    if (k === 0 || last) {
      x = x.map((v, i) => (st / s0) * v - at * (Math.exp(-h) - 1) * (x0[i] as number));
    } else {
      const [, , l1] = alphaSigma(sigmas[k - 1] as number);
      const r0 = (l0 - l1) / h;
      const prev = history[1] as number[];
      x = x.map((v, i) => {
        const d1 = ((x0[i] as number) - (prev[i] as number)) / r0;
        return (
          (st / s0) * v -
          at * (Math.exp(-h) - 1) * (x0[i] as number) -
          0.5 * at * (Math.exp(-h) - 1) * d1
        );
      });
    }
  });
  return x;
}

/** _sigma_to_alpha_sigma_t and lambda = log(alpha_t) - log(sigma_t), in float64. */
function refAlphaSigmaLambda(sigma: number): [number, number, number] {
  const alpha = 1 / (sigma ** 2 + 1) ** 0.5;
  const sigmaT = sigma * alpha;
  return [alpha, sigmaT, Math.log(alpha) - Math.log(sigmaT)];
}

/** torch.linalg.solve(A, b) for a small square A (Gauss-Jordan with row pivoting on an augmented copy). */
function refSolve(a: number[][], b: number[]): number[] {
  const size = b.length;
  const m: number[][] = a.map((row, i) => [...row, b[i] as number]);
  const at = (r: number, c: number): number => (m[r] as number[])[c] as number;
  for (let col = 0; col < size; col++) {
    let pivotRow = col;
    for (let r = col + 1; r < size; r++)
      if (Math.abs(at(r, col)) > Math.abs(at(pivotRow, col))) pivotRow = r;
    const swapped = m[col] as number[];
    m[col] = m[pivotRow] as number[];
    m[pivotRow] = swapped;
    const pivot = at(col, col);
    const pivotRowValues = (m[col] as number[]).map((v) => v / pivot);
    m[col] = pivotRowValues;
    for (let r = 0; r < size; r++) {
      if (r === col) continue;
      const factor = at(r, col);
      m[r] = (m[r] as number[]).map((v, c) => v - factor * (pivotRowValues[c] as number));
    }
  }
  return m.map((row) => row[size] as number);
}

export interface RefUniPcOptions {
  readonly solverOrder: number;
  readonly solverType: 'bh1' | 'bh2';
  readonly predictX0: boolean;
  readonly lowerOrderFinal: boolean;
  readonly disableCorrector: readonly number[];
}

/**
 * UniPCMultistepScheduler.step over a full loop with the epsilon dummy model (solver_p None).
 * `sigmas` has one entry per timestep plus the final one.
 */
export function refUniPcLoop(
  sigmas: number[],
  timesteps: number[],
  start: number[],
  options: RefUniPcOptions,
): number[] {
  const { solverOrder, solverType, predictX0, lowerOrderFinal, disableCorrector } = options;
  const modelOutputs: (number[] | null)[] = Array.from({ length: solverOrder }, () => null);
  let lastSample: number[] | null = null;
  let lowerOrderNums = 0;
  let thisOrder = 0;
  let stepIndex = 0;

  // The R and b of multistep_uni_p_bh_update / multistep_uni_c_bh_update.
  const bhSystem = (
    rks: number[],
    hh: number,
    order: number,
    bH: number,
  ): { R: number[][]; b: number[] } => {
    const R: number[][] = [];
    const b: number[] = [];
    let hPhiK = Math.expm1(hh) / hh - 1;
    let factorialI = 1;
    for (let i = 1; i <= order; i++) {
      R.push(rks.map((rk) => rk ** (i - 1)));
      b.push((hPhiK * factorialI) / bH);
      factorialI *= i + 1;
      hPhiK = hPhiK / hh - 1 / factorialI;
    }
    return { R, b };
  };

  const convertModelOutput = (modelOutput: number[], sample: number[]): number[] => {
    const [alphaT, sigmaT] = refAlphaSigmaLambda(sigmas[stepIndex] as number);
    if (predictX0) return sample.map((x, i) => (x - sigmaT * (modelOutput[i] as number)) / alphaT);
    return modelOutput;
  };

  const uniP = (sample: number[], order: number): number[] => {
    const m0 = modelOutputs[solverOrder - 1] as number[];
    const x = sample;
    const [alphaT, sigmaT, lambdaT] = refAlphaSigmaLambda(sigmas[stepIndex + 1] as number);
    const [alphaS0, sigmaS0, lambdaS0] = refAlphaSigmaLambda(sigmas[stepIndex] as number);
    const h = lambdaT - lambdaS0;
    const rks: number[] = [];
    const D1s: number[][] = [];
    for (let i = 1; i < order; i++) {
      const si = stepIndex - i;
      const mi = modelOutputs[solverOrder - (i + 1)] as number[];
      const [, , lambdaSi] = refAlphaSigmaLambda(sigmas[si] as number);
      const rk = (lambdaSi - lambdaS0) / h;
      rks.push(rk);
      D1s.push(mi.map((v, j) => (v - (m0[j] as number)) / rk));
    }
    rks.push(1.0);
    const hh = predictX0 ? -h : h;
    const hPhi1 = Math.expm1(hh);
    const bH = solverType === 'bh1' ? hh : Math.expm1(hh);
    const { R, b } = bhSystem(rks, hh, order, bH);
    let rhosP: number[] = [];
    if (D1s.length > 0) {
      rhosP =
        order === 2
          ? [0.5]
          : refSolve(
              R.slice(0, -1).map((row) => row.slice(0, -1)),
              b.slice(0, -1),
            );
    }
    const predRes = x.map((_, j) =>
      D1s.length > 0
        ? D1s.reduce((acc, d, k) => acc + (rhosP[k] as number) * (d[j] as number), 0)
        : 0,
    );
    if (predictX0) {
      return x.map(
        (v, j) =>
          (sigmaT / sigmaS0) * v -
          alphaT * hPhi1 * (m0[j] as number) -
          alphaT * bH * (predRes[j] as number),
      );
    }
    return x.map(
      (v, j) =>
        (alphaT / alphaS0) * v -
        sigmaT * hPhi1 * (m0[j] as number) -
        sigmaT * bH * (predRes[j] as number),
    );
  };

  const uniC = (thisModelOutput: number[], last: number[], order: number): number[] => {
    const m0 = modelOutputs[solverOrder - 1] as number[];
    const x = last;
    const modelT = thisModelOutput;
    const [alphaT, sigmaT, lambdaT] = refAlphaSigmaLambda(sigmas[stepIndex] as number);
    const [alphaS0, sigmaS0, lambdaS0] = refAlphaSigmaLambda(sigmas[stepIndex - 1] as number);
    const h = lambdaT - lambdaS0;
    const rks: number[] = [];
    const D1s: number[][] = [];
    for (let i = 1; i < order; i++) {
      const si = stepIndex - (i + 1);
      const mi = modelOutputs[solverOrder - (i + 1)] as number[];
      const [, , lambdaSi] = refAlphaSigmaLambda(sigmas[si] as number);
      const rk = (lambdaSi - lambdaS0) / h;
      rks.push(rk);
      D1s.push(mi.map((v, j) => (v - (m0[j] as number)) / rk));
    }
    rks.push(1.0);
    const hh = predictX0 ? -h : h;
    const hPhi1 = Math.expm1(hh);
    const bH = solverType === 'bh1' ? hh : Math.expm1(hh);
    const { R, b } = bhSystem(rks, hh, order, bH);
    const rhosC = order === 1 ? [0.5] : refSolve(R, b);
    const corrRes = x.map((_, j) =>
      D1s.reduce((acc, d, k) => acc + (rhosC[k] as number) * (d[j] as number), 0),
    );
    const outputScale = predictX0 ? alphaT : sigmaT;
    return x.map((v, j) => {
      const base = predictX0
        ? (sigmaT / sigmaS0) * v - alphaT * hPhi1 * (m0[j] as number)
        : (alphaT / alphaS0) * v - sigmaT * hPhi1 * (m0[j] as number);
      const d1T = (modelT[j] as number) - (m0[j] as number);
      return (
        base -
        outputScale * bH * ((corrRes[j] as number) + (rhosC[rhosC.length - 1] as number) * d1T)
      );
    });
  };

  let x = [...start];
  timesteps.forEach((t, k) => {
    stepIndex = k;
    const modelOutput = dummyModel(x, t);
    const useCorrector =
      stepIndex > 0 && !disableCorrector.includes(stepIndex - 1) && lastSample !== null;
    const modelOutputConvert = convertModelOutput(modelOutput, x);
    let sample = x;
    if (useCorrector) sample = uniC(modelOutputConvert, lastSample as number[], thisOrder);
    for (let i = 0; i < solverOrder - 1; i++)
      modelOutputs[i] = modelOutputs[i + 1] as number[] | null;
    modelOutputs[solverOrder - 1] = modelOutputConvert;
    const order = lowerOrderFinal
      ? Math.min(solverOrder, timesteps.length - stepIndex)
      : solverOrder;
    thisOrder = Math.min(order, lowerOrderNums + 1);
    lastSample = sample;
    x = uniP(sample, thisOrder);
    if (lowerOrderNums < solverOrder) lowerOrderNums += 1;
  });
  return x;
}

/** DEISMultistepScheduler.step (log-rho) over a full loop with the epsilon dummy model. */
export function refDeisLoop(
  sigmas: number[],
  timesteps: number[],
  start: number[],
  solverOrder: number,
  lowerOrderFinal: boolean,
): number[] {
  const modelOutputs: (number[] | null)[] = Array.from({ length: solverOrder }, () => null);
  let lowerOrderNums = 0;
  let x = [...start];
  const ind2 = (t: number, b: number, c: number): number =>
    (t * (-Math.log(c) + Math.log(t) - 1)) / (Math.log(b) - Math.log(c));
  const ind3 = (t: number, b: number, c: number, d: number): number => {
    const numerator =
      t *
      (Math.log(c) * (Math.log(d) - Math.log(t) + 1) -
        Math.log(d) * Math.log(t) +
        Math.log(d) +
        Math.log(t) ** 2 -
        2 * Math.log(t) +
        2);
    return numerator / ((Math.log(b) - Math.log(c)) * (Math.log(b) - Math.log(d)));
  };
  timesteps.forEach((t, stepIndex) => {
    const out = dummyModel(x, t);
    const n = timesteps.length;
    const lowerFinal = stepIndex === n - 1 && lowerOrderFinal && n < 15;
    const lowerSecond = stepIndex === n - 2 && lowerOrderFinal && n < 15;
    const [alphaS, sigmaS] = refAlphaSigmaLambda(sigmas[stepIndex] as number);
    const x0 = x.map((v, i) => (v - sigmaS * (out[i] as number)) / alphaS);
    const eps = x.map((v, i) => (v - alphaS * (x0[i] as number)) / sigmaS);
    for (let i = 0; i < solverOrder - 1; i++)
      modelOutputs[i] = modelOutputs[i + 1] as number[] | null;
    modelOutputs[solverOrder - 1] = eps;
    const [alphaT, sigmaT, lambdaT] = refAlphaSigmaLambda(sigmas[stepIndex + 1] as number);
    const [alphaS0, sigmaS0, lambdaS0] = refAlphaSigmaLambda(sigmas[stepIndex] as number);
    const m0 = modelOutputs[solverOrder - 1] as number[];
    if (solverOrder === 1 || lowerOrderNums < 1 || lowerFinal) {
      const h = lambdaT - lambdaS0;
      x = x.map(
        (v, i) => (alphaT / alphaS0) * v - sigmaT * (Math.exp(h) - 1.0) * (m0[i] as number),
      );
    } else if (solverOrder === 2 || lowerOrderNums < 2 || lowerSecond) {
      const [alphaS1, sigmaS1] = refAlphaSigmaLambda(sigmas[stepIndex - 1] as number);
      const m1 = modelOutputs[solverOrder - 2] as number[];
      const [rhoT, rhoS0, rhoS1] = [sigmaT / alphaT, sigmaS0 / alphaS0, sigmaS1 / alphaS1];
      const coef1 = ind2(rhoT, rhoS0, rhoS1) - ind2(rhoS0, rhoS0, rhoS1);
      const coef2 = ind2(rhoT, rhoS1, rhoS0) - ind2(rhoS0, rhoS1, rhoS0);
      x = x.map(
        (v, i) => alphaT * (v / alphaS0 + coef1 * (m0[i] as number) + coef2 * (m1[i] as number)),
      );
    } else {
      const [alphaS1, sigmaS1] = refAlphaSigmaLambda(sigmas[stepIndex - 1] as number);
      const [alphaS2, sigmaS2] = refAlphaSigmaLambda(sigmas[stepIndex - 2] as number);
      const m1 = modelOutputs[solverOrder - 2] as number[];
      const m2 = modelOutputs[solverOrder - 3] as number[];
      const [rhoT, rhoS0, rhoS1, rhoS2] = [
        sigmaT / alphaT,
        sigmaS0 / alphaS0,
        sigmaS1 / alphaS1,
        sigmaS2 / alphaS2,
      ];
      const coef1 = ind3(rhoT, rhoS0, rhoS1, rhoS2) - ind3(rhoS0, rhoS0, rhoS1, rhoS2);
      const coef2 = ind3(rhoT, rhoS1, rhoS2, rhoS0) - ind3(rhoS0, rhoS1, rhoS2, rhoS0);
      const coef3 = ind3(rhoT, rhoS2, rhoS0, rhoS1) - ind3(rhoS0, rhoS2, rhoS0, rhoS1);
      x = x.map(
        (v, i) =>
          alphaT *
          (v / alphaS0 +
            coef1 * (m0[i] as number) +
            coef2 * (m1[i] as number) +
            coef3 * (m2[i] as number)),
      );
    }
    if (lowerOrderNums < solverOrder) lowerOrderNums += 1;
  });
  return x;
}
