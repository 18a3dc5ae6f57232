#!/usr/bin/env node
import { copyFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { readModelConfig } from './config.js';
import { convertNetwork } from './convert.js';
import { MODEL_DTYPES, isModelDtype, variantFileName } from './dtypes.js';
import type { ModelDtype } from './dtypes.js';
import { ExportError } from './errors.js';
import { readOnnxModel } from './onnx/reader.js';
import {
  assertWritableFolder,
  describeFileSystemError,
  removeLiveTemporariesSync,
  withOutputs,
  writeAtomically,
} from './atomic.js';
import { buildAll, packModel, verifyModel } from './pack.js';
import { parseReferenceOptions } from './reference.js';
import { quantizeFile } from './quantize.js';
import type { Reporter } from './reporter.js';
import { VERIFY_THRESHOLDS, assertLoads } from './verify.js';

/** The only place that prints: progress to stderr (so stdout stays for results), results to stdout. */
function consoleReporter(): Reporter {
  const started = performance.now();
  const elapsed = (): string => `${((performance.now() - started) / 1000).toFixed(1)}s`.padStart(7);
  return {
    step: (message) => process.stderr.write(`${elapsed()} > ${message}\n`),
    detail: (message) => process.stderr.write(`          ${message}\n`),
    warn: (message) => process.stderr.write(`warning: ${message}\n`),
  };
}

const out = (text: string): void => {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
};

interface OptionHelp {
  readonly type: 'string' | 'boolean';
  readonly description: string;
  /** The value's placeholder in the usage line, e.g. `<dir>`. */
  readonly value?: string;
  readonly required?: boolean;
  /** May be given more than once. */
  readonly multiple?: boolean;
}

interface CommandHelp {
  readonly summary: string;
  /** The positional argument, e.g. `<model-dir>`; none when empty. */
  readonly positional: string;
  readonly options: Readonly<Record<string, OptionHelp>>;
  /** Lines shown under the options: forms of values, examples. */
  readonly notes?: string;
}

const DTYPES_HELP = `comma-separated dtypes (${MODEL_DTYPES.join(', ')})`;

const REF_OPTION: OptionHelp = {
  type: 'string',
  value: '<network>.<io>=<file>',
  multiple: true,
  description:
    'a reference array saved by your own tools, instead of (or on top of) reference.safetensors',
};

const REF_NOTES = `References (--ref, repeatable):
  --ref decoder.latent=latent.npy        a NumPy .npy file (np.save); its dtype and shape are read from it
  --ref decoder.image=image.bin:4x1x28x28  raw little-endian float32 values (tensor.numpy().tofile) and their shape
  --ref refs/                            a folder of <network>.<io>.npy files (decoder.latent.npy, decoder.image.npy)
  Every input and output of every network needs one, from --ref or from <model-dir>/reference.safetensors.`;

const COMMANDS: Readonly<Record<string, CommandHelp>> = {
  convert: {
    summary:
      'config.json + <network>.safetensors -> <network>.onnx (an .onnx network is checked and passed on)',
    positional: '<model-dir> | <file.onnx>',
    options: {
      out: {
        type: 'string',
        value: '<dir>',
        required: true,
        description:
          'folder for <network>.onnx; every network appears there together, or none does',
      },
      network: {
        type: 'string',
        value: '<name>',
        description: 'only this network (default: every network in config.json)',
      },
      weights: {
        type: 'string',
        value: '<file>',
        description:
          'another checkpoint of the same architecture (e.g. a GAN snapshot); needs --network',
      },
    },
  },
  quantize: {
    summary: '<network>.onnx -> <network>_fp16.onnx, <network>_int8.onnx',
    positional: '<network>.onnx',
    options: {
      dtypes: {
        type: 'string',
        value: 'fp16,int8',
        description: `${DTYPES_HELP}; default fp16,int8`,
      },
      out: {
        type: 'string',
        value: '<dir>',
        description:
          'folder for the variants (default: next to the input); each is checked to load in onnxruntime, and all appear together or none does',
      },
    },
  },
  verify: {
    summary: 'run every variant on onnxruntime-node against the reference outputs',
    positional: '<model-dir>',
    options: {
      in: {
        type: 'string',
        value: '<dir>',
        required: true,
        description: 'folder with <network>[_<dtype>].onnx files to check',
      },
      ref: REF_OPTION,
    },
    notes: REF_NOTES,
  },
  pack: {
    summary: 'verify, then write the passing variants and manifest.json as a folder',
    positional: '<model-dir>',
    options: {
      in: {
        type: 'string',
        value: '<dir>',
        required: true,
        description: 'folder with <network>[_<dtype>].onnx files',
      },
      out: {
        type: 'string',
        value: '<dir>',
        required: true,
        description:
          'folder for manifest.json and the verified files: replaced as a whole when pack succeeds (files its old manifest does not name are kept)',
      },
      ref: REF_OPTION,
    },
    notes: REF_NOTES,
  },
  build: {
    summary: 'convert, quantize, verify and pack every model folder (what packages/models runs)',
    positional: '',
    options: {
      models: {
        type: 'string',
        value: '<models-dir>',
        required: true,
        description: 'folder of model folders (each with config.json)',
      },
      out: {
        type: 'string',
        value: '<assets-dir>',
        required: true,
        description:
          'assets folder: replaced as a whole when the build succeeds (with --only, the other models in it are kept)',
      },
      dtypes: {
        type: 'string',
        value: 'fp32,fp16,int8',
        description: `${DTYPES_HELP}; default all`,
      },
      only: {
        type: 'string',
        value: '<id>,...',
        description: 'comma-separated model folders (and/or mnist-data) to build',
      },
    },
  },
  evaluate: {
    summary: "the models' quality metrics on packed variants, and the VAE/GAN/diffusion table",
    positional: '',
    options: {
      assets: {
        type: 'string',
        value: '<assets-dir>',
        required: true,
        description: 'a built assets folder (with mnist-data and mnist-classifier)',
      },
      dtype: {
        type: 'string',
        value: 'fp32|fp16|int8|all',
        description:
          'variant(s) to evaluate: fp32, fp16, int8, comma-separated, or all (default fp32); the judge is always the fp32 classifier',
      },
      samples: {
        type: 'string',
        value: '1000',
        description: 'samples per generative metric (default 1000; e.g. 100 for a quick check)',
      },
      steps: {
        type: 'string',
        value: '50',
        description: 'DDIM steps for the diffusion model (default: from its manifest, 50)',
      },
      only: {
        type: 'string',
        value: '<id>,...',
        description: 'comma-separated model ids to evaluate (default: every model present)',
      },
      threads: {
        type: 'string',
        value: '1',
        description: 'onnxruntime threads per session (default 1: time per image is per core)',
      },
      snapshots: {
        type: 'boolean',
        description: 'also judge each GAN training snapshot (1 s each)',
      },
      'no-dpm': { type: 'boolean', description: 'skip the DPM-Solver++-20 diffusion row' },
      json: {
        type: 'string',
        value: '<file>',
        description: 'also write every figure to this JSON file',
      },
      strict: { type: 'boolean', description: 'exit 1 when a target of the models issue fails' },
    },
  },
};

/** The usage line of a command: every option, required ones bare, the others in brackets. */
export function usageLine(name: string): string {
  const help = COMMANDS[name]!;
  const parts = [`genviz-export ${name}`];
  if (help.positional !== '') parts.push(help.positional);
  for (const [option, spec] of Object.entries(help.options)) {
    const text = spec.type === 'boolean' ? `--${option}` : `--${option} ${spec.value ?? '<value>'}`;
    const repeated = spec.multiple ? `${text} ...` : text;
    parts.push(spec.required ? repeated : `[${repeated}]`);
  }
  return parts.join(' ');
}

const USAGE = `genviz-export: PyTorch checkpoints (safetensors + config.json) to verified, quantized ONNX for the web

Usage: genviz-export <command> [options]
       genviz-export help <command>     (or genviz-export <command> --help: that command's options)

Commands:
${Object.entries(COMMANDS)
  .map(([name, help]) => `  ${name.padEnd(9)} ${help.summary}`)
  .join('\n')}

${Object.keys(COMMANDS)
  .map((name) => `  ${usageLine(name)}`)
  .join('\n')}
`;

export function commandHelp(name: string): string {
  const help = COMMANDS[name]!;
  const lines = Object.entries(help.options).map(
    ([option, spec]) =>
      `  --${option.padEnd(10)} ${spec.description}${spec.multiple ? ' (repeatable)' : ''}`,
  );
  return `genviz-export ${name}: ${help.summary}\n\nUsage: ${usageLine(name)}\n\nOptions:\n${lines.join('\n')}\n  --help       this text\n${help.notes ? `\n${help.notes}\n` : ''}`;
}

function parseDtypes(value: string | undefined, fallback: readonly ModelDtype[]): ModelDtype[] {
  if (value === undefined) return [...fallback];
  return value.split(',').map((dtype) => {
    const trimmed = dtype.trim();
    if (!isModelDtype(trimmed))
      throw new ExportError(`unknown dtype "${trimmed}" (known: ${MODEL_DTYPES.join(', ')})`);
    return trimmed;
  });
}

function required(values: Record<string, unknown>, name: string, command: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '')
    throw new ExportError(`${command} needs --${name} (see genviz-export help ${command})`);
  return value;
}

export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h') {
    out(USAGE);
    return command === undefined ? 1 : 0;
  }
  if (command === 'help') {
    const topic = rest[0];
    if (topic === undefined) {
      out(USAGE);
      return 0;
    }
    if (COMMANDS[topic] === undefined) {
      process.stderr.write(`genviz-export: help: unknown command "${topic}"\n\n${USAGE}`);
      return 1;
    }
    out(commandHelp(topic));
    return 0;
  }
  const help = COMMANDS[command];
  if (help === undefined) {
    process.stderr.write(`genviz-export: unknown command "${command}"\n\n${USAGE}`);
    return 1;
  }
  const options = Object.fromEntries(
    Object.entries(help.options).map(([name, spec]) => [
      name,
      spec.multiple ? { type: spec.type, multiple: true as const } : { type: spec.type },
    ]),
  );
  let parsed;
  try {
    parsed = parseArgs({
      args: [...rest],
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code?.startsWith('ERR_PARSE_ARGS_'))
      throw new ExportError(
        `${command}: ${(error as Error).message.split('. ')[0]} (see genviz-export help ${command})`,
      );
    throw error;
  }
  const { values, positionals } = parsed;
  if (values['help'] === true) {
    out(commandHelp(command));
    return 0;
  }
  const reporter = consoleReporter();
  switch (command) {
    case 'convert':
      return convertCommand(positionals, values, reporter);
    case 'quantize':
      return quantizeCommand(positionals, values, reporter);
    case 'verify':
    case 'pack':
      return packCommand(command, positionals, values, reporter);
    case 'build':
      return buildCommand(values, reporter);
    case 'evaluate': {
      const jsonPath = (values as Record<string, unknown>)['json'];
      if (typeof jsonPath === 'string' && jsonPath !== '')
        await assertWritableFolder(dirname(resolve(jsonPath)), '--json');
      const { evaluateCommand } = await import('./evaluate/command.js');
      return evaluateCommand(values, reporter, out);
    }
    default:
      return 1;
  }
}

async function convertCommand(
  positionals: string[],
  values: Record<string, unknown>,
  reporter: Reporter,
): Promise<number> {
  const source = positionals[0];
  if (source === undefined)
    throw new ExportError(
      'convert needs a model folder or an .onnx file (see genviz-export help convert)',
    );
  const outDir = required(values, 'out', 'convert');
  if (source.endsWith('.onnx')) {
    reporter.step(`check ${source}`);
    const model = await readOnnxModel(source);
    await assertWritableFolder(outDir, '--out');
    const target = join(outDir, basename(source));
    await writeAtomically(target, (temp) => copyFile(source, temp));
    out(
      `${target}: passed on (${model.graph.nodes.length} nodes, opset ${model.opsetImports.map((o) => o.version).join('/')}, inputs ${model.graph.inputs.map((i) => i.name).join(', ')})`,
    );
    return 0;
  }
  const config = await readModelConfig(source);
  const network = values['network'] as string | undefined;
  const weights = values['weights'] as string | undefined;
  if (weights !== undefined && network === undefined)
    throw new ExportError('--weights needs --network');
  await assertWritableFolder(outDir, '--out');
  // All networks or none: a later network failing leaves no earlier one behind.
  const results = await withOutputs(async (outputs) => {
    const converted = [];
    for (const name of network ? [network] : Object.keys(config.networks)) {
      reporter.step(`[${config.id}] convert ${name}`);
      converted.push(
        await convertNetwork({
          modelDir: source,
          config,
          network: name,
          outPath: join(outDir, variantFileName(name, 'fp32')),
          outputs,
          ...(weights ? { weightsPath: resolve(weights) } : {}),
        }),
      );
    }
    return converted;
  });
  for (const result of results)
    out(
      `${result.path}: ${result.bytes} bytes${result.passedThrough ? ' (ONNX passed through)' : ''}`,
    );
  return 0;
}

async function quantizeCommand(
  positionals: string[],
  values: Record<string, unknown>,
  reporter: Reporter,
): Promise<number> {
  const source = positionals[0];
  if (source === undefined || !source.endsWith('.onnx'))
    throw new ExportError('quantize needs an .onnx file (see genviz-export help quantize)');
  const dtypes = parseDtypes(values['dtypes'] as string | undefined, ['fp16', 'int8']);
  const outDir = (values['out'] as string | undefined) ?? dirname(resolve(source));
  await assertWritableFolder(outDir, values['out'] === undefined ? "the input's folder" : '--out');
  const network = basename(source, '.onnx');
  const written = await withOutputs(async (outputs) => {
    const files = [];
    for (const dtype of dtypes) {
      if (dtype === 'fp32') continue;
      reporter.step(`quantize ${basename(source)} -> ${dtype}`);
      const target = join(outDir, variantFileName(network, dtype));
      const file = await quantizeFile(source, target, dtype, { outputs });
      // A variant onnxruntime refuses never appears: quantize says so here, not verify later.
      // (With external data the model names its data file by the final name, so it is
      // checked by verify instead.)
      const temporary = outputs.temporaryOf(target);
      if (file.externalDataPath === undefined && temporary !== undefined)
        await assertLoads(temporary, target);
      files.push(file);
    }
    return files;
  });
  for (const file of written) out(`${file.path}: ${file.bytes} bytes`);
  return 0;
}

async function packCommand(
  command: 'verify' | 'pack',
  positionals: string[],
  values: Record<string, unknown>,
  reporter: Reporter,
): Promise<number> {
  const modelDir = positionals[0];
  if (modelDir === undefined)
    throw new ExportError(`${command} needs a model folder (see genviz-export help ${command})`);
  const inDir = required(values, 'in', command);
  const config = await readModelConfig(modelDir);
  const referenceArrays = await parseReferenceOptions(
    (values['ref'] as string[] | undefined) ?? [],
    config,
    join(modelDir, 'config.json'),
  );
  const options = { reporter, onQuantizedFailure: 'fail' as const, referenceArrays };
  if (command === 'verify') {
    const result = await verifyModel(modelDir, inDir, options);
    out(
      `${result.manifest.id}: ${result.verifications.length} variant(s) pass (thresholds: ${JSON.stringify(VERIFY_THRESHOLDS)})`,
    );
    return 0;
  }
  const outDir = required(values, 'out', command);
  await assertWritableFolder(outDir, '--out');
  await assertWritableFolder(dirname(resolve(outDir)), "--out's parent");
  const result = await packModel(modelDir, inDir, outDir, options);
  out(
    `${result.manifest.id}: ${result.verifications.length} variant(s) pass (thresholds: ${JSON.stringify(VERIFY_THRESHOLDS)})`,
  );
  out(`${join(outDir, 'manifest.json')} written`);
  return 0;
}

async function buildCommand(values: Record<string, unknown>, reporter: Reporter): Promise<number> {
  const modelsDir = required(values, 'models', 'build');
  const outDir = required(values, 'out', 'build');
  await assertWritableFolder(outDir, '--out');
  await assertWritableFolder(dirname(resolve(outDir)), "--out's parent");
  const only = (values['only'] as string | undefined)?.split(',').map((id) => id.trim());
  const started = performance.now();
  const result = await buildAll({
    modelsDir,
    outDir,
    dtypes: parseDtypes(values['dtypes'] as string | undefined, MODEL_DTYPES),
    reporter,
    ...(only ? { only } : {}),
  });
  const rows: string[] = [];
  for (const model of result.models) {
    for (const [network, manifest] of Object.entries(model.manifest.networks)) {
      for (const variant of manifest.variants)
        rows.push(
          `${model.manifest.id.padEnd(22)} ${network.padEnd(14)} ${variant.dtype.padEnd(5)} ${String(variant.bytes).padStart(10)}  ${variant.file}`,
        );
    }
    for (const snapshot of model.manifest.snapshots ?? []) {
      rows.push(
        `${model.manifest.id.padEnd(22)} ${`snapshot ${snapshot.index}`.padEnd(14)} ${snapshot.variants.map((v) => `${v.dtype}:${v.bytes}`).join(' ')}`,
      );
    }
    for (const dropped of model.dropped)
      rows.push(
        `${model.manifest.id.padEnd(22)} dropped: ${basename(dropped.file)}: ${dropped.failures.join('; ')}`,
      );
  }
  out(`model                  network        dtype      bytes  file\n${rows.join('\n')}`);
  if (result.dataset)
    out(
      `mnist-data: ${Object.values(result.dataset.data)
        .map((d) => `${d.file} ${d.bytes} bytes`)
        .join(', ')}`,
    );
  out(
    `built ${result.models.length} model(s) into ${outDir} in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  return 0;
}

/** The one line a failure prints, and the exit code: 1 for what the user can fix, 2 for a bug. */
export function describeFailure(error: unknown): { line: string; code: number } {
  if (error instanceof ExportError) return { line: error.message, code: 1 };
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (error instanceof TypeError && code?.startsWith('ERR_PARSE_ARGS_'))
    return { line: `${error.message} (see genviz-export help)`, code: 1 };
  const fileSystem = describeFileSystemError(error);
  if (fileSystem !== undefined) return { line: fileSystem.message, code: 1 };
  return {
    line: `unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    code: 2,
  };
}

/**
 * Ctrl-C or SIGTERM (turbo stopping a task): remove this run's temporaries, say so, and exit as a
 * process killed by that signal does. Output already renamed into place stays: every rename
 * happens synchronously, so the handler never runs between two of them.
 */
function onSignal(signal: NodeJS.Signals): void {
  const { unfinished } = removeLiveTemporariesSync();
  process.stderr.write(
    `\ngenviz-export: interrupted by ${signal}; ${unfinished.length === 0 ? 'no unfinished output to remove' : `removed the unfinished ${unfinished.join(', ')}; the earlier output is unchanged`}\n`,
  );
  process.exit(signal === 'SIGINT' ? 130 : 143);
}

/** Runs the CLI with `argv` (without node and the script), setting process.exitCode. */
export function runCli(argv: string[]): void {
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  main(argv).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      const { line, code } = describeFailure(error);
      process.stderr.write(`genviz-export: ${line}\n`);
      process.exitCode = code;
    },
  );
}

// `node dist/cli.js ...` runs directly; the installed bin (bin/genviz-export.js) calls runCli.
const isEntryPoint =
  process.argv[1] !== undefined &&
  import.meta.url === (await import('node:url')).pathToFileURL(process.argv[1]).href;
if (isEntryPoint) runCli(process.argv.slice(2));
