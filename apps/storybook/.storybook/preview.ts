import type { Preview } from '@storybook/web-components-vite';
import { setCustomElementsManifest } from '@storybook/web-components-vite';
import '@genviz/elements/define';
import manifest from '@genviz/elements/custom-elements.json' with { type: 'json' };
import { configureRuntime } from '@genviz/runtime';
import { documentedManifest, elementDescription } from './manifest.js';

// In the static build the default models are copied to /models/ (staticDirs in main.ts); in
// dev and in tests they load from @genviz/models itself.
if (import.meta.env.PROD)
  configureRuntime({ modelsBaseUrl: new URL('models/', document.baseURI).href });

// The custom-elements manifest (generated from the elements' JSDoc) is the one source of the
// docs pages and of the stories' controls: descriptions, defaults, events, parts, CSS properties.
setCustomElementsManifest(documentedManifest(manifest));

const preview: Preview = {
  tags: ['autodocs'],
  parameters: {
    controls: { expanded: true },
    backgrounds: { disable: true },
    docs: {
      // The element's description, with what the docs table has no category for: custom states.
      extractComponentDescription: (tagName: unknown) =>
        typeof tagName === 'string' ? elementDescription(manifest, tagName) : null,
    },
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
      const dark = context.globals.theme === 'dark';
      const { style } = document.documentElement;
      style.colorScheme = dark ? 'dark' : 'light';
      // A typical host page sets a font: stories do not show the browser's serif default.
      style.fontFamily = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
      document.body.style.background = dark ? '#111116' : '#ffffff';
      document.body.style.color = dark ? '#eeeeee' : '#111111';
      return story();
    },
  ],
};

export default preview;
