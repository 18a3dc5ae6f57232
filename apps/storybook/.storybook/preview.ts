import type { Preview } from '@storybook/web-components-vite';
import '@genviz/elements/define';
import { configureRuntime } from '@genviz/runtime';

// In the static build the default models are copied to /models/ (staticDirs in main.ts); in
// dev and in tests they load from @genviz/models itself.
if (import.meta.env.PROD)
  configureRuntime({ modelsBaseUrl: new URL('models/', document.baseURI).href });

const preview: Preview = {
  parameters: {
    controls: { expanded: true },
    backgrounds: { disable: true },
  },
  globalTypes: {
    theme: {
      description: 'Colour scheme of the elements',
      toolbar: { title: 'Theme', items: ['light', 'dark'], dynamicTitle: true },
    },
  },
  initialGlobals: { theme: 'light' },
  decorators: [
    (story, context) => {
      document.documentElement.style.colorScheme =
        context.globals.theme === 'dark' ? 'dark' : 'light';
      document.body.style.background = context.globals.theme === 'dark' ? '#111116' : '#ffffff';
      document.body.style.color = context.globals.theme === 'dark' ? '#eeeeee' : '#111111';
      return story();
    },
  ],
};

export default preview;
