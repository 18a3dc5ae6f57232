import type { ModelDtype, ModelManifest } from '@genviz/core';
import { GenvizError } from './errors.js';

export type DeviceOption = 'auto' | 'webgpu' | 'wasm';
export type DtypeOption = 'auto' | ModelDtype;
export type Device = 'webgpu' | 'wasm';

/** What the worker found, once per worker. */
export interface EnvironmentReport {
  webgpu: {
    available: boolean;
    /** A software adapter (SwiftShader): correct, but ~100x slower than WASM for our models. */
    fallbackAdapter: boolean;
    shaderF16: boolean;
    vendor: string;
    architecture: string;
  };
  crossOriginIsolated: boolean;
  /** WASM threads used: more than one only on a cross-origin isolated page. */
  wasmThreads: number;
  hardwareConcurrency: number;
}

export interface DeviceChoice {
  device: Device;
  dtype: ModelDtype;
  /** Why this device and dtype, in words, for a status line or a dev-tools log. */
  reason: string;
}

// The few WebGPU shapes used here (TypeScript's DOM library does not describe WebGPU yet).
interface AdapterInfo {
  vendor: string;
  architecture: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}
interface Adapter {
  info: AdapterInfo;
  features: ReadonlySet<string>;
  isFallbackAdapter?: boolean;
}
interface Gpu {
  requestAdapter(): Promise<Adapter | null>;
}

let environment: Promise<EnvironmentReport> | undefined;

export function detectEnvironment(): Promise<EnvironmentReport> {
  environment ??= (async () => {
    const isolated = self.crossOriginIsolated === true;
    const cores = navigator.hardwareConcurrency || 1;
    const report: EnvironmentReport = {
      webgpu: {
        available: false,
        fallbackAdapter: false,
        shaderF16: false,
        vendor: '',
        architecture: '',
      },
      crossOriginIsolated: isolated,
      // Threads need SharedArrayBuffer, which needs COOP/COEP headers a drop-in element cannot
      // require of its host page; where the page has them, use up to 4 cores. The worker is its
      // own thread, so two cores give two threads (one left to the page would mean none at all,
      // and the page is idle while a model runs).
      wasmThreads: isolated && cores > 1 ? Math.min(4, Math.max(2, cores - 1)) : 1,
      hardwareConcurrency: cores,
    };
    const gpu = (navigator as Navigator & { gpu?: Gpu }).gpu;
    if (gpu) {
      try {
        const adapter = await gpu.requestAdapter();
        if (adapter) {
          const info = adapter.info;
          const legacyFlag = adapter.isFallbackAdapter;
          report.webgpu = {
            available: true,
            // Headless Chromium and GPU-less or blocklisted machines expose SwiftShader, which
            // does not always say it is a fallback adapter: recognise it by name too.
            fallbackAdapter:
              info.isFallbackAdapter === true ||
              legacyFlag === true ||
              /swiftshader|llvmpipe|lavapipe/i.test(
                `${info.vendor} ${info.architecture} ${info.device} ${info.description}`,
              ),
            shaderF16: adapter.features.has('shader-f16'),
            vendor: info.vendor,
            architecture: info.architecture,
          };
        }
      } catch {
        // No adapter: WebGPU stays unavailable.
      }
    }
    return report;
  })();
  return environment;
}

function availableDtypes(manifest: ModelManifest, network: string): ModelDtype[] {
  return manifest.networks[network]?.variants.map((variant) => variant.dtype) ?? [];
}

/**
 * `auto` picks WebGPU only on a hardware adapter, else WASM: a software adapter is a trap
 * (measured here: 1.2-1.3 s per UNet step on SwiftShader against 14 ms on WASM). fp16 only
 * where the adapter has shader-f16.
 */
export function chooseDevice(
  env: EnvironmentReport,
  manifest: ModelManifest,
  network: string,
  device: DeviceOption,
  dtype: DtypeOption,
): DeviceChoice {
  const dtypes = availableDtypes(manifest, network);
  let chosenDevice: Device;
  let reason: string;
  if (device === 'webgpu') {
    if (!env.webgpu.available) {
      throw new GenvizError(
        'unsupported-device',
        'WebGPU was asked for, but this browser has no WebGPU adapter.',
        {
          detail: 'webgpu',
        },
      );
    }
    chosenDevice = 'webgpu';
    reason = env.webgpu.fallbackAdapter
      ? 'WebGPU as asked (a software adapter: expect it to be slow)'
      : 'WebGPU as asked';
  } else if (device === 'wasm') {
    chosenDevice = 'wasm';
    reason = 'WASM as asked';
  } else if (env.webgpu.available && !env.webgpu.fallbackAdapter) {
    chosenDevice = 'webgpu';
    reason = `WebGPU on a hardware adapter (${env.webgpu.vendor || 'unknown vendor'})`;
  } else {
    chosenDevice = 'wasm';
    reason = env.webgpu.available
      ? `WASM: the only WebGPU adapter is a software one (${env.webgpu.architecture || 'fallback'}), slower than the CPU`
      : 'WASM: no WebGPU adapter';
  }
  if (chosenDevice === 'wasm') {
    reason +=
      env.wasmThreads > 1
        ? `, ${env.wasmThreads} threads (page cross-origin isolated)`
        : env.crossOriginIsolated
          ? ', 1 thread (one CPU core)'
          : ', 1 thread (page not cross-origin isolated)';
  }

  let chosenDtype: ModelDtype;
  // On WASM: int8 where the model's manifest prefers it (evaluate showed it within its quality
  // bars; its DequantizeLinear nodes are folded at load, so it runs as fast as fp32 from a
  // quarter of the bytes). fp16 never: its Casts make it 25% slower than fp32 there.
  const wasmInt8 =
    chosenDevice === 'wasm' && manifest.preferredDtypes?.wasm === 'int8' && dtypes.includes('int8');
  if (dtype === 'auto') {
    chosenDtype =
      chosenDevice === 'webgpu' && env.webgpu.shaderF16 && dtypes.includes('fp16')
        ? 'fp16'
        : wasmInt8
          ? 'int8'
          : 'fp32';
    reason +=
      chosenDtype === 'fp16'
        ? '; fp16 (the adapter has shader-f16)'
        : chosenDtype === 'int8'
          ? '; int8 (within its quality bars, dequantized once at load: as fast as fp32, a quarter of the bytes)'
          : '; fp32';
  } else {
    if (!dtypes.includes(dtype)) {
      throw new GenvizError(
        'invalid-argument',
        `The model ${manifest.id} has no ${dtype} variant of ${network} (it has ${dtypes.join(', ')}).`,
        {
          detail: 'dtype',
        },
      );
    }
    if (dtype === 'fp16' && chosenDevice === 'webgpu' && !env.webgpu.shaderF16) {
      throw new GenvizError(
        'unsupported-device',
        'fp16 was asked for, but this WebGPU adapter lacks shader-f16.',
        {
          detail: 'shader-f16',
        },
      );
    }
    chosenDtype = dtype;
    reason += `; ${dtype} as asked`;
  }
  return { device: chosenDevice, dtype: chosenDtype, reason };
}
