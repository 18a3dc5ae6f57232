// The default models ship as static files next to this module. Resolving them against
// import.meta.url works from node_modules, through a dev server, and from a CDN, without setup.
// (Not written as `new URL('./assets/', import.meta.url)`: bundlers rewrite that pattern as an
// asset import, and a folder is not an asset.) In a bundle this module's URL is the bundle's, so
// the base below names files that are not there: the runtime fetches each file through
// `defaultAssetUrls`, where the bundler wrote the URL of the copy it emitted.
import { assetUrls } from './asset-urls.js';

const moduleUrl = import.meta.url;
const assetsUrl = `${moduleUrl.slice(0, moduleUrl.lastIndexOf('/') + 1)}assets/`;

/** Ids of the default models in this package. */
export const defaultModelIds = Object.freeze([
  'mnist-classifier',
  'mnist-vae',
  'mnist-dcgan',
  'mnist-dcgan-collapsed',
  'mnist-ddpm',
  'mnist-vae-flow',
  'mnist-autoencoder',
  'mnist-ldm',
  'mnist-lcm',
]);

/**
 * Where each file of the default models really is, by its path under the base URL
 * (`'mnist-ddpm/unet.onnx'`): next to this module unbundled, the bundler's copy in a build.
 */
export const defaultAssetUrls = assetUrls;

/** Base URL of the default model assets (each model is `<base><id>/manifest.json`). */
export const defaultModelsBaseUrl = assetsUrl;

/** URL of a default model's manifest, resolved against `baseUrl` (default: this package). */
export function defaultManifestUrl(id, baseUrl = assetsUrl) {
  return new URL(`${id}/manifest.json`, baseUrl).href;
}
