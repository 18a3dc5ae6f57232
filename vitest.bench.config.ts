import { defineConfig } from 'vitest/config';
import { browserProject } from './vitest.config.js';

// `npm run bench` only: browser benchmarks print figures and write bench-results/*.json.
// They never fail on time, and `npm test` does not run them.
export default defineConfig({
  test: {
    projects: [browserProject('bench', ['packages/*/bench/**/*.browser-bench.ts'], 1_200_000)],
  },
});
