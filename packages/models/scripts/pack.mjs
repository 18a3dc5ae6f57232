// `npm pack` / `npm publish` ship only the variants the runtime can choose (docs/decisions/0007):
// every network in fp32 (what `dtype: 'auto'` takes on WASM, and on WebGPU when there is no fp16
// file) or, where a manifest prefers int8 on WASM (`preferredDtypes`), in int8 only, and the GAN's training-history snapshots (generator and discriminator) in int8 only (the runtime takes the one variant
// shipped; 60 dB PSNR against fp32, invisible in a 28x28 image). fp16 and the other int8 files stay
// in the repository's build for its own tests and for anyone who serves the full set themselves.
//
// npm packs the package folder as it is, so `prepack` swaps a pruned copy of assets/ in (hard
// links, no copying of the big files) and `postpack` puts the full build back. A pack that died
// half-way is repaired by the next `prepack` (or by `npm run build`).
import { existsSync, linkSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeAssetUrls } from './asset-urls.mjs';

const packageDir = resolve(import.meta.dirname, '..');
const assets = join(packageDir, 'assets');
const fullAside = join(packageDir, 'assets.packing-full.old');
const staging = join(packageDir, 'assets.packing.tmp');

/**
 * The variants a published network keeps: fp32, or instead the dtype its manifest prefers on WASM
 * (`preferredDtypes.wasm`: int8 where `genviz-export evaluate` shows it within the model's quality
 * bars, what `dtype: 'auto'` takes there; on WebGPU `auto` then runs that one variant too), and
 * those a snapshot keeps.
 */
const keepNetworkVariant = (variant, manifest) =>
  variant.dtype === (manifest.preferredDtypes?.wasm ?? 'fp32');
const keepSnapshotVariant = (variant, all) =>
  variant.dtype === 'int8' || !all.some((other) => other.dtype === 'int8') && variant.dtype === 'fp32';

function restore() {
  if (!existsSync(fullAside)) return false;
  rmSync(assets, { recursive: true, force: true });
  renameSync(fullAside, assets);
  writeAssetUrls(assets);
  return true;
}

function link(from, to) {
  try {
    linkSync(from, to);
  } catch {
    copyFileSync(from, to);
  }
}

function prune() {
  restore();
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging);
  for (const model of readdirSync(assets, { withFileTypes: true })) {
    if (!model.isDirectory()) continue;
    const from = join(assets, model.name);
    const to = join(staging, model.name);
    mkdirSync(to);
    const manifest = JSON.parse(readFileSync(join(from, 'manifest.json'), 'utf8'));
    const dropped = new Set();
    for (const network of Object.values(manifest.networks ?? {})) {
      for (const variant of network.variants) if (!keepNetworkVariant(variant, manifest)) dropped.add(variant.file);
      network.variants = network.variants.filter((variant) => keepNetworkVariant(variant, manifest));
    }
    // A snapshot that names a network's own files (the last one: the final weights) keeps the
    // network's published variant, so nothing is shipped twice.
    const networkFiles = new Set(
      Object.values(manifest.networks ?? {}).flatMap((network) => network.variants.map((v) => v.file)),
    );
    const pruneSnapshot = (all) => {
      const shared = all.filter((variant) => networkFiles.has(variant.file));
      const keep = shared.length > 0 ? shared : all.filter((variant) => keepSnapshotVariant(variant, all));
      for (const variant of all) if (!keep.includes(variant)) dropped.add(variant.file);
      return keep;
    };
    for (const snapshot of manifest.snapshots ?? []) {
      snapshot.variants = pruneSnapshot(snapshot.variants);
      if (snapshot.discriminatorVariants) snapshot.discriminatorVariants = pruneSnapshot(snapshot.discriminatorVariants);
    }
    // A file that a kept variant still names (the final snapshot may share the final weights) stays.
    const kept = new Set([
      ...Object.values(manifest.networks ?? {}).flatMap((network) => network.variants.map((v) => v.file)),
      ...(manifest.snapshots ?? []).flatMap((snapshot) =>
        [...snapshot.variants, ...(snapshot.discriminatorVariants ?? [])].map((v) => v.file),
      ),
    ]);
    for (const file of readdirSync(from)) {
      if (file === 'manifest.json') continue;
      if (dropped.has(file) && !kept.has(file)) continue;
      link(join(from, file), join(to, file));
    }
    writeFileSync(join(to, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  }
  renameSync(assets, fullAside);
  renameSync(staging, assets);
  writeAssetUrls(assets);
}

const command = process.argv[2];
if (command === 'prepack') prune();
else if (command === 'postpack') restore();
else {
  console.error('usage: node scripts/pack.mjs prepack|postpack');
  process.exit(1);
}
