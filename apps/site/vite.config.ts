import { defaultClientConditions, defineConfig } from 'vite';

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
});
