// The types of the Node-side browser commands the root vitest config registers
// (packages/runtime/test/node-commands.ts), for the elements' tests: they compare what the
// worker computed with onnxruntime-node on the same model file and inputs.
import type {} from 'vitest/browser';

export interface NodeTensor {
  dtype: 'float32' | 'int64';
  dims: number[];
  data: number[];
}

declare module 'vitest/browser' {
  interface BrowserCommands {
    ortNodeRun: (
      modelId: string,
      file: string,
      feeds: Record<string, NodeTensor>,
    ) => Promise<Record<string, { dims: number[]; data: number[] }>>;
    readDefaultManifest: (modelId: string) => Promise<unknown>;
    writeBenchResults: (name: string, results: unknown) => Promise<void>;
    mousePath: (
      points: [number, number][],
      options?: { press?: boolean; intervalMs?: number },
    ) => Promise<void>;
    cpuProfile: (
      action: 'start' | 'stop',
      windows?: [number, number][],
    ) => Promise<{
      all: { name: string; selfMs: number }[];
      inWindows: { name: string; selfMs: number }[];
    }>;
    /** Fails every request for a model asset (manifests, .onnx, .bin), workers included. */
    cutModelNetwork: () => Promise<void>;
    /** Ends `cutModelNetwork`; resolves with the URLs whose requests it failed. */
    restoreModelNetwork: () => Promise<string[]>;
  }
}

declare module 'vitest/browser' {
  interface BrowserCommands {
    /** Mouse strokes through the browser's input pipeline (see testing/strokes.ts). */
    mouseStrokes: (
      strokes: ReadonlyArray<ReadonlyArray<readonly [number, number]>>,
      innerWidth: number,
    ) => Promise<void>;
    mouseHover: (point: readonly [number, number], innerWidth: number) => Promise<void>;
  }
}
