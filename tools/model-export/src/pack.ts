import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { replaceDirectoryAtomically, writeAtomically } from './atomic.js';
import { readModelConfig } from './config.js';
import type { ModelConfig, NetworkConfig } from './config.js';
import { convertNetwork } from './convert.js';
import { packSafetensorsAsData } from './datafile.js';
import { MODEL_DTYPES, variantFileName } from './dtypes.js';
import type { ModelDtype } from './dtypes.js';
import { ExportError } from './errors.js';
import { MANIFEST_SCHEMA_VERSION } from '@genviz/core';
import type {
  DataFile,
  DatasetManifest,
  GanSnapshot,
  ModelManifest,
  ModelVariant,
  NetworkManifest,
} from '@genviz/core';
import { ONNX_OPSET } from './onnx/builder.js';
import { quantizeFile } from './quantize.js';
import { silentReporter } from './reporter.js';
import type { Reporter } from './reporter.js';
import { ArrayFilesReference, LayeredReference, SafetensorsReference } from './reference.js';
import type { ArrayFile, ReferenceSource } from './reference.js';
import { loadReference, referencePath, runOnnx, verifyVariant } from './verify.js';
import type { FeedTensor, OutputTensor, VariantVerification } from './verify.js';

export const PRODUCER = Object.freeze({ name: '@genviz/model-export', version: '0.0.0' });

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

interface HistoryEntry {
  readonly index: number;
  readonly epoch: number;
  readonly iteration: number;
  readonly file: string;
  /** The discriminator at the same moment, where training kept it. */
  readonly discriminator_file?: string;
  readonly d_real: number;
  readonly d_fake: number;
}

export async function readGanHistory(
  modelDir: string,
  config: ModelConfig,
): Promise<HistoryEntry[]> {
  const path = join(modelDir, config.history ?? 'history.json');
  let parsed: { snapshots?: HistoryEntry[] };
  try {
    parsed = JSON.parse(await readFile(path, 'utf8')) as { snapshots?: HistoryEntry[] };
  } catch (error) {
    throw new ExportError(`cannot read the GAN training history: ${(error as Error).message}`, {
      file: path,
      cause: error,
    });
  }
  const snapshots = parsed.snapshots;
  if (!Array.isArray(snapshots) || snapshots.length === 0)
    throw new ExportError('"snapshots" must list at least one snapshot', { file: path });
  for (const entry of snapshots) {
    if (!Number.isInteger(entry.index) || typeof entry.file !== 'string')
      throw new ExportError('every snapshot needs an integer "index" and a "file"', { file: path });
    if (entry.discriminator_file !== undefined && typeof entry.discriminator_file !== 'string')
      throw new ExportError(
        `snapshot ${entry.index}: "discriminator_file" must be a file name (or absent)`,
        { file: path },
      );
  }
  const withDiscriminator = snapshots.filter((entry) => entry.discriminator_file !== undefined);
  if (withDiscriminator.length > 0 && withDiscriminator.length < snapshots.length) {
    const missing = snapshots.filter((entry) => entry.discriminator_file === undefined);
    throw new ExportError(
      `snapshots ${missing.map((entry) => entry.index).join(', ')} have no "discriminator_file" while others do: give every snapshot its discriminator or none`,
      { file: path },
    );
  }
  return snapshots;
}

/**
 * Whether a snapshot's weights file is byte for byte the network's own (the last snapshot holds
 * the final weights): such a snapshot names the network's files instead of copies of them.
 */
export async function snapshotSharesWeights(
  modelDir: string,
  config: ModelConfig,
  network: 'generator' | 'discriminator',
  file: string,
): Promise<boolean> {
  const net = config.networks[network];
  if (!net) return false;
  const [snapshot, own] = await Promise.all(
    [file, net.weights].map((name) => readFile(join(modelDir, name)).catch(() => undefined)),
  );
  return snapshot !== undefined && own !== undefined && snapshot.equals(own);
}

export function snapshotNetworkName(
  index: number,
  network: 'generator' | 'discriminator' = 'generator',
): string {
  return `${network}-${String(index).padStart(2, '0')}`;
}

export interface StageOptions {
  readonly dtypes: readonly ModelDtype[];
  readonly reporter?: Reporter;
}

/**
 * convert + quantize: every network of the model (and, for GANs, every generator snapshot) as
 * `<network>[_<dtype>].onnx` in `stagingDir`. Nothing is verified yet.
 */
export async function stageModel(
  modelDir: string,
  stagingDir: string,
  options: StageOptions,
): Promise<ModelConfig> {
  const reporter = options.reporter ?? silentReporter;
  const config = await readModelConfig(modelDir);
  await mkdir(stagingDir, { recursive: true });
  const jobs: { name: string; network: string; weightsPath?: string }[] = Object.keys(
    config.networks,
  ).map((network) => ({ name: network, network }));
  if (config.task === 'gan') {
    for (const entry of await readGanHistory(modelDir, config)) {
      if (!(await snapshotSharesWeights(modelDir, config, 'generator', entry.file)))
        jobs.push({
          name: snapshotNetworkName(entry.index),
          network: 'generator',
          weightsPath: join(modelDir, entry.file),
        });
      if (
        entry.discriminator_file !== undefined &&
        !(await snapshotSharesWeights(modelDir, config, 'discriminator', entry.discriminator_file))
      )
        jobs.push({
          name: snapshotNetworkName(entry.index, 'discriminator'),
          network: 'discriminator',
          weightsPath: join(modelDir, entry.discriminator_file),
        });
    }
  }
  for (const job of jobs) {
    reporter.step(`[${config.id}] convert ${job.name}`);
    const fp32Path = join(stagingDir, variantFileName(job.name, 'fp32'));
    const converted = await convertNetwork({
      modelDir,
      config,
      network: job.network,
      outPath: fp32Path,
      ...(job.weightsPath ? { weightsPath: job.weightsPath } : {}),
    });
    reporter.detail(
      `${basename(fp32Path)}: ${converted.bytes} bytes${converted.passedThrough ? ' (ONNX passed through)' : ''}`,
    );
    for (const dtype of options.dtypes) {
      if (dtype === 'fp32') continue;
      reporter.step(`[${config.id}] quantize ${job.name} -> ${dtype}`);
      const target = join(stagingDir, variantFileName(job.name, dtype));
      try {
        const written = await quantizeFile(fp32Path, target, dtype);
        reporter.detail(`${basename(target)}: ${written.bytes} bytes`);
      } catch (error) {
        // As with a variant that fails verify: the quantized variants are optional, fp32 is not.
        if (!(error instanceof ExportError)) throw error;
        reporter.warn(`dropping ${basename(target)} (${dtype}): ${error.message}`);
      }
    }
  }
  return config;
}

export interface PackOptions {
  readonly reporter?: Reporter;
  /**
   * 'fail' (pack command): any failing variant makes the whole pack fail.
   * 'drop' (build): a failing fp16/int8 variant is left out with a warning; a failing fp32 still fails.
   */
  readonly onQuantizedFailure: 'fail' | 'drop';
  /**
   * Reference arrays given by the author (`--ref`), used before the model folder's
   * reference.safetensors; with them, that file may be absent.
   */
  readonly referenceArrays?: readonly ArrayFile[];
}

interface PackFilesOptions extends PackOptions {
  /** verify only: check every variant, copy nothing, write no manifest. */
  readonly verifyOnly?: boolean;
}

/** The references of a model: --ref arrays first, then reference.safetensors where it exists. */
async function openReferences(
  modelDir: string,
  arrays: readonly ArrayFile[] = [],
): Promise<ReferenceSource> {
  const path = referencePath(modelDir);
  const layers: ReferenceSource[] = [];
  if (arrays.length > 0) layers.push(new ArrayFilesReference(arrays));
  if (existsSync(path) || arrays.length === 0) layers.push(await SafetensorsReference.open(path));
  return layers.length === 1 ? layers[0]! : new LayeredReference(layers);
}

export interface PackResult {
  readonly manifest: ModelManifest;
  readonly verifications: readonly VariantVerification[];
  readonly dropped: readonly VariantVerification[];
}

function describeFailure(v: VariantVerification): string {
  return `${basename(v.file)} (${v.dtype}) failed verify: ${v.failures.join('; ')}`;
}

/** Every file a manifest names (its variants, snapshots and data files, with external data). */
function filesNamedBy(manifest: unknown): Set<string> {
  const files = new Set<string>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (value !== null && typeof value === 'object') {
      for (const [key, child] of Object.entries(value)) {
        if (key === 'file' && typeof child === 'string') files.add(child).add(`${child}.data`);
        else visit(child);
      }
    }
  };
  visit(manifest);
  return files;
}

/**
 * verify + pack: checks every variant found in `variantsDir` against the PyTorch reference
 * outputs, and writes those that pass with their sha256 and `manifest.json` as `outDir`. The
 * folder is filled next to `outDir` and swapped in whole, so a failed pack leaves no file and a
 * pack over an earlier one never leaves a manifest that disagrees with the files. Files in an
 * earlier `outDir` that its manifest does not name are kept; a folder that holds files but no
 * manifest.json is refused, since pack replaces its --out folder.
 */
export async function packModel(
  modelDir: string,
  variantsDir: string,
  outDir: string,
  options: PackOptions,
): Promise<PackResult> {
  if (resolve(outDir) === resolve(variantsDir))
    throw new ExportError(
      'is both the folder of variants to pack and the output: pack replaces its output folder as a whole, so give it another one',
      { file: outDir },
    );
  let previous: Set<string> | undefined;
  const entries = await readdir(outDir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [] as string[];
    if (error.code === 'ENOTDIR')
      throw new ExportError('is a file, not a folder (pack writes a folder)', { file: outDir });
    throw error;
  });
  if (entries.length > 0) {
    const manifestPath = join(outDir, 'manifest.json');
    if (!entries.includes('manifest.json'))
      throw new ExportError(
        'holds files but no manifest.json; pack replaces its output folder as a whole, so give it a new folder or one that pack wrote',
        { file: outDir },
      );
    let manifest: unknown;
    try {
      manifest = JSON.parse(await readFile(manifestPath, 'utf8'));
    } catch (error) {
      throw new ExportError(`cannot read the earlier manifest: ${(error as Error).message}`, {
        file: manifestPath,
        cause: error,
      });
    }
    previous = filesNamedBy(manifest);
  }
  return replaceDirectoryAtomically(
    outDir,
    (staging) => packModelFiles(modelDir, variantsDir, staging, options),
    previous === undefined
      ? {}
      : { keep: (entry) => entry !== 'manifest.json' && !previous.has(entry) },
  );
}

/** verify: every variant in `variantsDir` against the references; writes nothing. */
export async function verifyModel(
  modelDir: string,
  variantsDir: string,
  options: PackOptions,
): Promise<PackResult> {
  return packModelFiles(modelDir, variantsDir, variantsDir, { ...options, verifyOnly: true });
}

/** packModel's work, writing straight into `outDir` (a staging folder). */
export async function packModelFiles(
  modelDir: string,
  variantsDir: string,
  outDir: string,
  options: PackFilesOptions,
): Promise<PackResult> {
  const reporter = options.reporter ?? silentReporter;
  const config = await readModelConfig(modelDir);
  const present = new Set(
    await readdir(variantsDir).catch((error: unknown) => {
      throw new ExportError(`cannot read the variants folder: ${(error as Error).message}`, {
        file: variantsDir,
        cause: error,
      });
    }),
  );
  const verifications: VariantVerification[] = [];
  const dropped: VariantVerification[] = [];
  // Collected, so one run names every failing variant rather than the first.
  const fatal: string[] = [];
  const verifyOnly = options.verifyOnly === true;
  if (!verifyOnly) await mkdir(outDir, { recursive: true });

  const accept = async (verification: VariantVerification): Promise<ModelVariant | undefined> => {
    verifications.push(verification);
    reporter.detail(formatVerification(verification));
    if (!verification.passed) {
      if (verification.dtype === 'fp32' || options.onQuantizedFailure === 'fail') {
        fatal.push(describeFailure(verification));
      } else {
        reporter.warn(`dropping ${describeFailure(verification)}`);
        dropped.push(verification);
      }
      return undefined;
    }
    const name = basename(verification.file);
    const target = verifyOnly ? verification.file : join(outDir, name);
    if (target !== verification.file)
      await writeAtomically(target, (temp) => copyFile(verification.file, temp));
    return {
      dtype: verification.dtype,
      file: name,
      bytes: (await stat(target)).size,
      sha256: await sha256File(target),
      verification: {
        against: verification.against,
        outputs: verification.outputs.map((m) => ({
          name: m.name,
          maxAbs: m.maxAbs,
          meanAbs: m.meanAbs,
          psnrDb: m.psnrDb,
          ...(m.decisionAgreement === undefined ? {} : { decisionAgreement: m.decisionAgreement }),
        })),
      },
    };
  };

  const verifyNetwork = async (
    name: string,
    net: NetworkConfig,
    network: string,
    inputs: Record<string, FeedTensor>,
    expected: Record<string, OutputTensor> | undefined,
  ): Promise<ModelVariant[]> => {
    const variants: ModelVariant[] = [];
    if (!present.has(variantFileName(name, 'fp32')))
      throw new ExportError(`no ${variantFileName(name, 'fp32')} to pack`, { file: variantsDir });
    const fp32Path = join(variantsDir, variantFileName(name, 'fp32'));
    // Without a PyTorch reference (GAN snapshots), the fp32 ONNX output is what the variants must match.
    const reference = expected ?? (await runOnnx(fp32Path, inputs));
    const against = expected === undefined ? 'fp32-onnx' : 'pytorch-reference';
    for (const dtype of MODEL_DTYPES) {
      const file = variantFileName(name, dtype);
      if (!present.has(file)) continue;
      reporter.step(`[${config.id}] verify ${file}`);
      const verification = await verifyVariant({
        network,
        dtype,
        path: join(variantsDir, file),
        outputs: net.outputs,
        inputs,
        expected: reference,
        against,
      });
      const variant = await accept(verification);
      if (variant !== undefined) variants.push(variant);
    }
    return variants;
  };

  const references = await openReferences(modelDir, options.referenceArrays);
  try {
    return await packWithReferences(references);
  } finally {
    await references.close();
  }

  async function packWithReferences(source: ReferenceSource): Promise<PackResult> {
    const networks: Record<string, NetworkManifest> = {};
    for (const [network, net] of Object.entries(config.networks)) {
      const reference = await loadReference(source, network, net);
      networks[network] = {
        inputs: net.inputs,
        outputs: net.outputs,
        variants: await verifyNetwork(network, net, network, reference.inputs, reference.outputs),
      };
    }

    let snapshots: GanSnapshot[] | undefined;
    if (config.task === 'gan') {
      const generator = config.networks['generator'];
      if (generator === undefined)
        throw new ExportError('a GAN needs a "generator" network', {
          file: join(modelDir, 'config.json'),
        });
      const reference = await loadReference(source, 'generator', generator);
      const history = await readGanHistory(modelDir, config);
      const discriminator = config.networks['discriminator'];
      const discriminatorReference =
        discriminator && history.some((entry) => entry.discriminator_file !== undefined)
          ? await loadReference(source, 'discriminator', discriminator)
          : undefined;
      if (!discriminator && history.some((entry) => entry.discriminator_file !== undefined))
        throw new ExportError(
          'the history names discriminator snapshots but config.json has no "discriminator" network',
          { file: join(modelDir, 'config.json') },
        );
      snapshots = [];
      for (const [position, entry] of history.entries()) {
        const name = snapshotNetworkName(entry.index);
        // The last snapshot holds the final weights (the contract), so PyTorch's outputs apply to
        // it; where its weights file is the network's own, it names the network's verified files.
        const expected = position === history.length - 1 ? reference.outputs : undefined;
        const variants = (await snapshotSharesWeights(modelDir, config, 'generator', entry.file))
          ? [...networks['generator']!.variants]
          : await verifyNetwork(name, generator, 'generator', reference.inputs, expected);
        let discriminatorVariants: ModelVariant[] | undefined;
        if (entry.discriminator_file !== undefined && discriminator && discriminatorReference)
          discriminatorVariants = (await snapshotSharesWeights(
            modelDir,
            config,
            'discriminator',
            entry.discriminator_file,
          ))
            ? [...networks['discriminator']!.variants]
            : await verifyNetwork(
                snapshotNetworkName(entry.index, 'discriminator'),
                discriminator,
                'discriminator',
                discriminatorReference.inputs,
                position === history.length - 1 ? discriminatorReference.outputs : undefined,
              );
        snapshots.push({
          index: entry.index,
          epoch: entry.epoch,
          iteration: entry.iteration,
          d_real: entry.d_real,
          d_fake: entry.d_fake,
          variants,
          ...(discriminatorVariants ? { discriminatorVariants } : {}),
        });
      }
    }

    if (fatal.length > 0)
      throw new ExportError(
        `${config.id}: ${fatal.length} variant(s) failed verify: ${fatal.join(' | ')}`,
      );
    if (verifyOnly) return { manifest: manifestOf(networks, snapshots), verifications, dropped };

    let data: Record<string, DataFile> | undefined;
    if (config.heldout_latents !== undefined) {
      reporter.step(`[${config.id}] pack ${config.heldout_latents}`);
      const source = join(modelDir, config.heldout_latents);
      data = {
        heldout_latents: await packSafetensorsAsData(
          source,
          join(outDir, basename(source, '.safetensors') + '.bin'),
        ),
      };
    }

    const manifest = manifestOf(networks, snapshots, data);
    await writeAtomically(join(outDir, 'manifest.json'), (temp) =>
      writeFile(temp, JSON.stringify(manifest, null, 2) + '\n'),
    );
    return { manifest, verifications, dropped };
  }

  function manifestOf(
    networks: Record<string, NetworkManifest>,
    snapshots: GanSnapshot[] | undefined,
    data?: Record<string, DataFile>,
  ): ModelManifest {
    return {
      schemaVersion: MANIFEST_SCHEMA_VERSION,
      id: config.id,
      task: config.task,
      networks,
      ...(config.labels ? { labels: config.labels } : {}),
      ...(config.scheduler ? { scheduler: config.scheduler } : {}),
      ...(config.sampling ? { sampling: config.sampling } : {}),
      // Only while every network has that variant (a failed verify drops one).
      ...(config.preferred_dtypes?.wasm !== undefined &&
      Object.values(networks).every((network) =>
        network.variants.some((variant) => variant.dtype === config.preferred_dtypes!.wasm),
      )
        ? { preferredDtypes: { wasm: config.preferred_dtypes.wasm } }
        : {}),
      ...(snapshots ? { snapshots } : {}),
      ...(data ? { data } : {}),
      producer: { ...PRODUCER, opset: ONNX_OPSET },
    };
  }
}

export function formatVerification(v: VariantVerification): string {
  const outputs = v.outputs
    .map((m) => {
      const psnr = m.psnrDb === null ? 'inf' : m.psnrDb.toFixed(1);
      const decision =
        m.decisionAgreement === undefined
          ? ''
          : ` agree=${(m.decisionAgreement * 100).toFixed(0)}%`;
      return `${m.name}: max|d|=${m.maxAbs.toExponential(2)} mean|d|=${m.meanAbs.toExponential(2)} PSNR=${psnr}dB${decision}`;
    })
    .join('; ');
  return `${v.passed ? 'ok  ' : 'FAIL'} ${basename(v.file)} vs ${v.against}: ${outputs}`;
}

/** The held-out digits as one raw file for the elements, with a dataset manifest. */
export async function packDataset(
  dataDir: string,
  outDir: string,
  reporter: Reporter = silentReporter,
): Promise<DatasetManifest> {
  reporter.step('[mnist-data] pack heldout digits');
  const digits = await packSafetensorsAsData(
    join(dataDir, 'heldout.safetensors'),
    join(outDir, 'heldout-digits.bin'),
  );
  const manifest: DatasetManifest = {
    schemaVersion: MANIFEST_SCHEMA_VERSION,
    id: basename(dataDir),
    task: 'dataset',
    labels: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    data: { heldout: digits },
    producer: PRODUCER,
  };
  await writeAtomically(join(outDir, 'manifest.json'), (temp) =>
    writeFile(temp, JSON.stringify(manifest, null, 2) + '\n'),
  );
  return manifest;
}
