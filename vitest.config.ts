import { playwright } from '@vitest/browser-playwright';
import { defaultClientConditions, defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';
import type { TestProjectInlineConfiguration } from 'vitest/config';
import {
  cpuProfile,
  mouseHover,
  mousePath,
  cutModelNetwork,
  mouseStrokes,
  ortNodeRun,
  readDefaultManifest,
  restoreModelNetwork,
  writeBenchResults,
} from './packages/runtime/test/node-commands.js';

/**
 * One config lists every test project, split by cost (cheap node tests apart from browser tests,
 * so `--project core` runs in seconds):
 * - node: packages/core and tools/model-export, fast and pure;
 * - browser: packages/runtime and packages/elements in Debian's real Chromium, with the real
 *   default models, on the wasm and the webgpu execution providers;
 * - storybook: every story with a play() function, run as a browser test.
 */

/** Debian's Chromium: the tests never download a browser (`npx playwright install` is not used). */
export const chromiumPath = process.env.GENVIZ_CHROMIUM ?? '/usr/bin/chromium';

export const chromiumArgs = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  // WebGPU without a GPU: SwiftShader's Vulkan, a CPU emulation. It proves correctness, not
  // speed, and has no shader-f16.
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--use-vulkan=swiftshader',
  '--use-webgpu-adapter=swiftshader',
  '--use-angle=swiftshader',
];

const browser = () => ({
  enabled: true,
  headless: true,
  provider: playwright({
    launchOptions: { executablePath: chromiumPath, args: chromiumArgs },
  }),
  instances: [{ browser: 'chromium' as const }],
  screenshotFailures: false,
  commands: {
    cpuProfile,
    mouseHover,
    mousePath,
    mouseStrokes,
    ortNodeRun,
    readDefaultManifest,
    writeBenchResults,
    cutModelNetwork,
    restoreModelNetwork,
  },
});

// Workspace packages export their TypeScript sources under this condition, so tests run against
// src without a build step in between.
const sourceCondition = '@genviz/source';

const nodeProject = (name: string, include: string[]): TestProjectInlineConfiguration => ({
  resolve: { conditions: [sourceCondition, ...defaultServerConditions] },
  ssr: { resolve: { conditions: [sourceCondition, ...defaultServerConditions] } },
  test: { name, include, environment: 'node', testTimeout: 60_000 },
});

export const browserProject = (
  name: string,
  include: string[],
  timeout = 120_000,
): TestProjectInlineConfiguration => ({
  resolve: { conditions: [sourceCondition, ...defaultClientConditions] },
  // Pre-bundled up front: discovering them mid-run makes Vite reload the test page.
  optimizeDeps: {
    include: [
      'comlink',
      'onnxruntime-web',
      'onnxruntime-web/wasm',
      'lit',
      'lit/decorators.js',
      'lit/directives/style-map.js',
    ],
  },
  test: { name, include, browser: browser(), testTimeout: timeout, hookTimeout: timeout },
});

export default defineConfig({
  test: {
    projects: [
      nodeProject('core', ['packages/core/test/**/*.test.ts']),
      nodeProject('tools', ['tools/model-export/test/**/*.test.ts']),
      // Storybook's docs tables, from the manifest as preview.ts hands it (no browser needed).
      nodeProject('storybook-docs', ['apps/storybook/.storybook/*.test.ts']),
      browserProject('runtime', ['packages/runtime/test/**/*.test.ts']),
      // The elements' tests wait on model work (testing/dom.ts's MODEL_WORK, 4 minutes per
      // wait) rather than on clocks; a test's own limit leaves room for a few such waits.
      browserProject('elements', ['packages/elements/src/**/*.test.ts'], 600_000),
      'apps/storybook/vitest.config.ts',
    ],
  },
});
