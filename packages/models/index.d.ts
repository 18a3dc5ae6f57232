/** Ids of the default models in this package. */
export declare const defaultModelIds: readonly [
  'mnist-classifier',
  'mnist-vae',
  'mnist-dcgan',
  'mnist-dcgan-collapsed',
  'mnist-ddpm',
  'mnist-vae-flow',
  'mnist-autoencoder',
  'mnist-ldm',
  'mnist-lcm',
];
export type DefaultModelId = (typeof defaultModelIds)[number];
/**
 * Where each file of the default models really is, by its path under `defaultModelsBaseUrl`
 * (`'mnist-ddpm/unet.onnx'`): next to this module unbundled, the bundler's copy in a build.
 */
export declare const defaultAssetUrls: Readonly<Record<string, string>>;
/** Base URL of the default model assets (each model is `<base><id>/manifest.json`). */
export declare const defaultModelsBaseUrl: string;
/** URL of a default model's manifest, resolved against `baseUrl` (default: this package). */
export declare function defaultManifestUrl(id: DefaultModelId | (string & {}), baseUrl?: string): string;
