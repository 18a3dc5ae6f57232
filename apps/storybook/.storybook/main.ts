import type { StorybookConfig } from '@storybook/web-components-vite';

const config: StorybookConfig = {
  // Stories live beside the code they show, in every package.
  stories: ['../../../packages/*/src/**/*.stories.ts'],
  addons: ['@storybook/addon-docs', '@storybook/addon-vitest'],
  // The static build serves the default models from /models/ (preview.ts points the runtime there).
  staticDirs: [{ from: '../../../packages/models/assets', to: '/models' }],
  framework: { name: '@storybook/web-components-vite', options: {} },
  core: {
    disableTelemetry: true,
    disableWhatsNewNotifications: true,
    enableCrashReports: false,
  },
  async viteFinal(viteConfig) {
    const { mergeConfig, defaultClientConditions } = await import('vite');
    return mergeConfig(viteConfig, {
      // Run the workspace packages from source (see tsconfig.base.json's customConditions).
      resolve: { conditions: ['@genviz/source', ...defaultClientConditions] },
      optimizeDeps: {
        include: ['comlink', 'onnxruntime-web', 'onnxruntime-web/wasm', 'axe-core'],
      },
    });
  },
};

export default config;
