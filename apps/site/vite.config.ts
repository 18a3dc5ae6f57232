import { cp } from 'node:fs/promises';
import { resolve } from 'node:path';
import { defaultClientConditions, defineConfig } from 'vite';
import type { Plugin } from 'vite';

/** Copies the default models next to the built site; src/main.ts points the runtime at them. */
function defaultModels(): Plugin {
  let outDir = 'dist';
  return {
    name: 'genviz-default-models',
    apply: 'build',
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir);
    },
    async closeBundle() {
      await cp(
        resolve(import.meta.dirname, '../../packages/models/assets'),
        resolve(outDir, 'models'),
        { recursive: true },
      );
    },
  };
}

// Cross-origin isolation (COOP/COEP) gives the page SharedArrayBuffer, so the runtime runs
// onnxruntime-web's WASM with threads. An element cannot demand these headers of its host; the
// site can, on its dev and preview servers (a static host sets the same two headers).
const crossOriginIsolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  server: { headers: crossOriginIsolation },
  preview: { headers: crossOriginIsolation },
  // Built from the packages' sources (see the @genviz/source export condition).
  resolve: { conditions: ['@genviz/source', ...defaultClientConditions] },
  optimizeDeps: { include: ['comlink', 'onnxruntime-web', 'onnxruntime-web/wasm'] },
  build: { target: 'es2022' },
  plugins: [defaultModels()],
});
