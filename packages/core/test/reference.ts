/**
 * Independent float64 transcriptions of diffusers' formulas (scheduling_ddpm.py, scheduling_ddim.py,
 * scheduling_euler_discrete.py, scheduling_euler_ancestral_discrete.py,
 * scheduling_dpmsolver_multistep.py, scheduling_heun_discrete.py), written from the Python source
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

export function refDdpmLoop(alphasCumprod: number[], timesteps: number[], start: number[], clip: boolean): number[] {
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
      prediction === 'epsilon' ? (out[i] as number) : Math.sqrt(ab) * (out[i] as number) + Math.sqrt(1 - ab) * xi,
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

export function refEulerLoop(sigmas: number[], timesteps: number[], start: number[], ancestral: boolean): number[] {
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
      x = x.map((v, i) => v + ((v - (x0[i] as number)) / sigma) * (down - sigma) + (noise[i] as number) * up);
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
export function refDpmSolverPlusPlus2M(sigmas: number[], timesteps: number[], start: number[]): number[] {
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
        return (st / s0) * v - at * (Math.exp(-h) - 1) * (x0[i] as number) - 0.5 * at * (Math.exp(-h) - 1) * d1;
      });
    }
  });
  return x;
}
