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
import { buildAll } from './build.js';
import { packModel, verifyModel } from './pack.js';
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

import { COMMANDS, USAGE, commandHelp } from './cli-help.js';

export { commandHelp, usageLine } from './cli-help.js';

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
