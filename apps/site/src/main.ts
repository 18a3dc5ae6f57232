import '@genviz/elements/define';
import { configureRuntime } from '@genviz/runtime';
import { setUpComparison } from './comparison.js';

// The production build copies the default models to /models/ (see vite.config.ts).
if (import.meta.env.PROD)
  configureRuntime({ modelsBaseUrl: new URL('models/', document.baseURI).href });

const comparison = document.querySelector<HTMLElement>('#compare');
if (comparison) setUpComparison(comparison);
