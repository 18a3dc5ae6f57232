#!/usr/bin/env node
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { readModelConfig } from './config.js';
import { convertNetwork } from './convert.js';
import { MODEL_DTYPES, isModelDtype, variantFileName } from './dtypes.js';
import type { ModelDtype } from './dtypes.js';
import { ExportError } from './errors.js';
import { readOnnxModel } from './onnx/reader.js';
import { buildAll, packModel } from './pack.js';
import { quantizeFile } from './quantize.js';
import type { Reporter } from './reporter.js';
import { VERIFY_THRESHOLDS } from './verify.js';

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

const USAGE = `genviz-export: PyTorch checkpoints (safetensors + config.json) to verified, quantized ONNX for the web

Usage: genviz-export <command> [options]     (genviz-export <command> --help for its options)

Commands:
  convert   config.json + <network>.safetensors -> <network>.onnx (or check and pass on an .onnx)
  quantize  <network>.onnx -> <network>_fp16.onnx, <network>_int8.onnx
  verify    run every variant on onnxruntime-node against reference.safetensors
  pack      verify, then copy the passing variants and write manifest.json
  build     convert, quantize, verify and pack every model folder (what packages/models runs)
  evaluate  the models' quality metrics on packed variants, and the VAE/GAN/diffusion table
`;

interface CommandHelp {
  readonly usage: string;
  readonly options: Readonly<Record<string, { type: 'string' | 'boolean'; description: string }>>;
}

const DTYPES_HELP = `comma-separated dtypes (${MODEL_DTYPES.join(', ')})`;

const COMMANDS: Readonly<Record<string, CommandHelp>> = {
  convert: {
    usage:
      'genviz-export convert <model-dir> --out <dir> [--network <name>] [--weights <file>]\n       genviz-export convert <file.onnx> --out <dir>',
    options: {
      out: { type: 'string', description: 'folder for <network>.onnx' },
      network: {
        type: 'string',
        description: 'only this network (default: every network in config.json)',
      },
      weights: {
        type: 'string',
        description:
          'another checkpoint of the same architecture (e.g. a GAN snapshot); needs --network',
      },
    },
  },
  quantize: {
    usage: 'genviz-export quantize <network>.onnx [--dtypes fp16,int8] [--out <dir>]',
    options: {
      dtypes: { type: 'string', description: `${DTYPES_HELP}; default fp16,int8` },
      out: { type: 'string', description: 'folder for the variants (default: next to the input)' },
    },
  },
  verify: {
    usage: 'genviz-export verify <model-dir> --in <dir>',
    options: {
      in: { type: 'string', description: 'folder with <network>[_<dtype>].onnx files to check' },
    },
  },
  pack: {
    usage: 'genviz-export pack <model-dir> --in <dir> --out <dir>',
    options: {
      in: { type: 'string', description: 'folder with <network>[_<dtype>].onnx files' },
      out: { type: 'string', description: 'folder for manifest.json and the verified files' },
    },
  },
  build: {
    usage:
      'genviz-export build --models <models-dir> --out <assets-dir> [--dtypes fp32,fp16,int8] [--only <id>,...]',
    options: {
      models: { type: 'string', description: 'folder of model folders (each with config.json)' },
      out: {
        type: 'string',
        description: 'assets folder: replaced as a whole when the build succeeds',
      },
      dtypes: { type: 'string', description: `${DTYPES_HELP}; default all` },
      only: {
        type: 'string',
        description: 'comma-separated model ids (and/or mnist-data) to build',
      },
    },
  },
  evaluate: {
    usage:
      'genviz-export evaluate --assets <assets-dir> [--dtype fp32|fp16|int8|all] [--samples 1000] [--only <id>,...] [--snapshots] [--json <file>]',
    options: {
      assets: {
        type: 'string',
        description: 'a built assets folder (with mnist-data and mnist-classifier)',
      },
      dtype: {
        type: 'string',
        description:
          'variant(s) to evaluate: fp32, fp16, int8, comma-separated, or all (default fp32); the judge is always the fp32 classifier',
      },
      samples: {
        type: 'string',
        description: 'samples per generative metric (default 1000; e.g. 100 for a quick check)',
      },
      steps: {
        type: 'string',
        description: 'DDIM steps for the diffusion model (default: from its manifest, 50)',
      },
      only: {
        type: 'string',
        description: 'comma-separated model ids to evaluate (default: every model present)',
      },
      threads: {
        type: 'string',
        description: 'onnxruntime threads per session (default 1: time per image is per core)',
      },
      snapshots: {
        type: 'boolean',
        description: 'also judge each GAN training snapshot (1 s each)',
      },
      'no-dpm': { type: 'boolean', description: 'skip the DPM-Solver++-20 diffusion row' },
      json: { type: 'string', description: 'also write every figure to this JSON file' },
      strict: { type: 'boolean', description: 'exit 1 when a target of the models issue fails' },
    },
  },
};

function commandHelp(name: string): string {
  const help = COMMANDS[name]!;
  const lines = Object.entries(help.options).map(
    ([option, spec]) => `  --${option.padEnd(10)} ${spec.description}`,
  );
  return `Usage: ${help.usage}\n\nOptions:\n${lines.join('\n')}\n  --help       this text\n`;
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
    throw new ExportError(`${command} needs --${name} (see genviz-export ${command} --help)`);
  return value;
}

export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    out(USAGE);
    return command === undefined ? 1 : 0;
  }
  const help = COMMANDS[command];
  if (help === undefined) {
    process.stderr.write(`genviz-export: unknown command "${command}"\n\n${USAGE}`);
    return 1;
  }
  const options = Object.fromEntries(
    Object.entries(help.options).map(([name, spec]) => [name, { type: spec.type }]),
  );
  const { values, positionals } = parseArgs({
    args: [...rest],
    options: { ...options, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
    strict: true,
  });
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
      const { evaluateCommand } = await import('./evaluate.js');
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
      'convert needs a model folder or an .onnx file (see genviz-export convert --help)',
    );
  const outDir = required(values, 'out', 'convert');
  if (source.endsWith('.onnx')) {
    reporter.step(`check ${source}`);
    const model = await readOnnxModel(source);
    const { writeAtomically } = await import('./atomic.js');
    const { copyFile } = await import('node:fs/promises');
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
  for (const name of network ? [network] : Object.keys(config.networks)) {
    reporter.step(`[${config.id}] convert ${name}`);
    const result = await convertNetwork({
      modelDir: source,
      config,
      network: name,
      outPath: join(outDir, variantFileName(name, 'fp32')),
      ...(weights ? { weightsPath: resolve(weights) } : {}),
    });
    out(
      `${result.path}: ${result.bytes} bytes${result.passedThrough ? ' (ONNX passed through)' : ''}`,
    );
  }
  return 0;
}

async function quantizeCommand(
  positionals: string[],
  values: Record<string, unknown>,
  reporter: Reporter,
): Promise<number> {
  const source = positionals[0];
  if (source === undefined || !source.endsWith('.onnx'))
    throw new ExportError('quantize needs an .onnx file (see genviz-export quantize --help)');
  const dtypes = parseDtypes(values['dtypes'] as string | undefined, ['fp16', 'int8']);
  const outDir = (values['out'] as string | undefined) ?? resolve(source, '..');
  const network = basename(source, '.onnx');
  for (const dtype of dtypes) {
    if (dtype === 'fp32') continue;
    reporter.step(`quantize ${basename(source)} -> ${dtype}`);
    const written = await quantizeFile(
      source,
      join(outDir, variantFileName(network, dtype)),
      dtype,
    );
    out(`${written.path}: ${written.bytes} bytes`);
  }
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
    throw new ExportError(`${command} needs a model folder (see genviz-export ${command} --help)`);
  const inDir = required(values, 'in', command);
  const verifyOnly = command === 'verify';
  const outDir = verifyOnly
    ? await mkdtemp(join(tmpdir(), 'genviz-verify-'))
    : required(values, 'out', command);
  try {
    const result = await packModel(modelDir, inDir, outDir, {
      reporter,
      onQuantizedFailure: 'fail',
    });
    out(
      `${result.manifest.id}: ${result.verifications.length} variant(s) pass (thresholds: ${JSON.stringify(VERIFY_THRESHOLDS)})`,
    );
    if (!verifyOnly) out(`${join(outDir, 'manifest.json')} written`);
    return 0;
  } finally {
    if (verifyOnly) await rm(outDir, { recursive: true, force: true });
  }
}

async function buildCommand(values: Record<string, unknown>, reporter: Reporter): Promise<number> {
  const modelsDir = required(values, 'models', 'build');
  const outDir = required(values, 'out', 'build');
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

/** Runs the CLI with `argv` (without node and the script), setting process.exitCode. */
export function runCli(argv: string[]): void {
  main(argv).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      if (error instanceof ExportError) {
        process.stderr.write(`genviz-export: ${error.message}\n`);
        process.exitCode = 1;
      } else if (
        error instanceof TypeError &&
        (error as NodeJS.ErrnoException).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION'
      ) {
        process.stderr.write(`genviz-export: ${error.message}\n`);
        process.exitCode = 1;
      } else {
        process.stderr.write(
          `genviz-export: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
        );
        process.exitCode = 2;
      }
    },
  );
}

// `node dist/cli.js ...` runs directly; the installed bin (bin/genviz-export.js) calls runCli.
const isEntryPoint =
  process.argv[1] !== undefined &&
  import.meta.url === (await import('node:url')).pathToFileURL(process.argv[1]).href;
if (isEntryPoint) runCli(process.argv.slice(2));
