import { join } from 'node:path';
import { storybookTest } from '@storybook/addon-vitest/vitest-plugin';
import { playwright } from '@vitest/browser-playwright';
import { defineProject } from 'vitest/config';
import { chromiumArgs, chromiumPath } from '../../vitest.config.js';

// Every story with a play() function runs as a browser test (listed in the root vitest.config.ts).
export default defineProject({
  plugins: [
    storybookTest({
      configDir: join(import.meta.dirname, '.storybook'),
      storybookScript: 'npm run dev',
    }),
  ],
  test: {
    name: 'storybook',
    // After every story: the 320 px layout and axe-core checks.
    setupFiles: [join(import.meta.dirname, '.storybook/vitest.setup.ts')],
    browser: {
      enabled: true,
      headless: true,
      provider: playwright({ launchOptions: { executablePath: chromiumPath, args: chromiumArgs } }),
      instances: [{ browser: 'chromium' }],
      screenshotFailures: false,
    },
    // Plays wait on model work (MODEL_WORK in packages/elements/src/testing/dom.ts), not clocks.
    testTimeout: 600_000,
  },
});
