// The default models ship as static files next to this module. Resolving them against
// import.meta.url works from node_modules, through a dev server, and from a CDN, without setup.
// (Not written as `new URL('./assets/', import.meta.url)`: bundlers rewrite that pattern as an
// asset import, and a folder is not an asset.)
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
]);

/** Base URL of the default model assets (each model is `<base><id>/manifest.json`). */
export const defaultModelsBaseUrl = assetsUrl;

/** URL of a default model's manifest, resolved against `baseUrl` (default: this package). */
export function defaultManifestUrl(id, baseUrl = assetsUrl) {
  return new URL(`${id}/manifest.json`, baseUrl).href;
}
