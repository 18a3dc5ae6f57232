// Where a bundler put each default model file. `@genviz/models` resolves its files against its
// own URL, which in a bundle is the bundle's, where the files are not; its `defaultAssetUrls`
// table holds each file's real URL (a bundler rewrites every entry to the copy it emitted). The
// client hands the table to the worker when it starts it, keyed by the URL the runtime computes
// (manifest, model files, the latent decoder's manifest, data files), and every fetch goes
// through `located`. Unbundled, each entry is its own key, and a custom `modelsBaseUrl` never
// matches a key: both fetch the URL as it is.
let locations = new Map<string, string>();

export function setAssetLocations(table: Readonly<Record<string, string>>): void {
  locations = new Map(Object.entries(table));
}

/** The URL to fetch for `url`: where the bundler put that file, or `url` itself. */
export function located(url: string): string {
  return locations.get(url) ?? url;
}
