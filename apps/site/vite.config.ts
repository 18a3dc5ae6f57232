import { defaultClientConditions, defineConfig } from 'vite';

export default defineConfig({
  // Built from the packages' sources (see tsconfig.base.json's customConditions).
  resolve: { conditions: ['@genviz/source', ...defaultClientConditions] },
  optimizeDeps: { include: ['comlink', 'onnxruntime-web'] },
  build: { target: 'es2022' },
});
