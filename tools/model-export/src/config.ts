import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ARCHITECTURES } from './architectures/registry.js';
import { ExportError } from './errors.js';

/** One input or output of a network, as config.json and the manifest describe it. */
export interface TensorSpec {
  readonly name: string;
  readonly dtype: 'float32' | 'int64';
  readonly shape: readonly (number | string)[];
  readonly range?: readonly [number, number];
  readonly distribution?: string;
}

export interface NetworkConfig {
  readonly weights: string;
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
}

export type ModelTask = 'classifier' | 'vae' | 'gan' | 'diffusion';

/** config.json, as fixed by docs/decisions/0001-model-folder-contract.md. */
export interface ModelConfig {
  readonly id: string;
  readonly task: ModelTask;
  /**
   * The builder and its hyperparameters, for networks given as .safetensors checkpoints. A model
   * whose every network is an .onnx file (exported elsewhere) needs none.
   */
  readonly architecture?: Readonly<Record<string, unknown>> & { readonly type: string };
  readonly networks: Readonly<Record<string, NetworkConfig>>;
  readonly labels?: readonly string[];
  readonly scheduler?: Readonly<Record<string, unknown>>;
  readonly sampling?: Readonly<Record<string, unknown>>;
  readonly history?: string;
  readonly heldout_latents?: string;
  /**
   * `{"wasm": "int8"}`: `dtype: 'auto'` takes the int8 variants on WASM (manifest
   * `preferredDtypes`). Set it only where `genviz-export evaluate --dtype int8` shows the model
   * within its quality bars; the build drops it when a network has no int8 variant.
   */
  readonly preferred_dtypes?: { readonly wasm?: 'int8' };
}

const TASKS: readonly ModelTask[] = ['classifier', 'vae', 'gan', 'diffusion'];

export async function readModelConfig(modelDir: string): Promise<ModelConfig> {
  const path = join(modelDir, 'config.json');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ExportError(`cannot read: ${(error as Error).message}`, { file: path, cause: error });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ExportError(`is not valid JSON: ${(error as Error).message}`, {
      file: path,
      cause: error,
    });
  }
  return validateConfig(parsed, path);
}

function fail(path: string, message: string): never {
  throw new ExportError(message, { file: path });
}

export function validateConfig(value: unknown, path: string): ModelConfig {
  if (value === null || typeof value !== 'object') fail(path, 'must be a JSON object');
  const config = value as Record<string, unknown>;
  if (typeof config['id'] !== 'string' || !/^[a-z0-9][a-z0-9-]*$/.test(config['id']))
    fail(path, '"id" must be a lowercase id such as "mnist-vae"');
  if (!TASKS.includes(config['task'] as ModelTask))
    fail(path, `"task" must be one of ${TASKS.join(', ')}`);
  const networks = config['networks'] as Record<string, unknown> | undefined;
  if (
    networks === null ||
    typeof networks !== 'object' ||
    Array.isArray(networks) ||
    Object.keys(networks).length === 0
  )
    fail(path, '"networks" must name at least one network');
  const checkpoints: string[] = [];
  for (const [name, network] of Object.entries(networks)) {
    if (network === null || typeof network !== 'object')
      fail(path, `"networks.${name}" must be an object with "weights", "inputs" and "outputs"`);
    const net = network as Record<string, unknown>;
    const weights = net['weights'];
    if (typeof weights !== 'string' || !/\.(safetensors|onnx)$/.test(weights))
      fail(path, `"networks.${name}.weights" must name a .safetensors or .onnx file`);
    if (weights.endsWith('.safetensors')) checkpoints.push(name);
    for (const side of ['inputs', 'outputs'] as const) {
      const specs = net[side];
      if (!Array.isArray(specs) || specs.length === 0)
        fail(path, `"networks.${name}.${side}" must list at least one tensor`);
      for (const spec of specs as Record<string, unknown>[]) {
        if (spec === null || typeof spec !== 'object' || typeof spec['name'] !== 'string')
          fail(path, `every entry of "networks.${name}.${side}" needs a "name"`);
        if (spec['dtype'] !== 'float32' && spec['dtype'] !== 'int64')
          fail(path, `"networks.${name}.${side}.${spec['name']}.dtype" must be float32 or int64`);
        if (
          !Array.isArray(spec['shape']) ||
          !spec['shape'].every(
            (dim) => (Number.isInteger(dim) && (dim as number) > 0) || typeof dim === 'string',
          )
        )
          fail(
            path,
            `"networks.${name}.${side}.${spec['name']}.shape" must be a list of positive integers and names (such as "batch")`,
          );
      }
    }
  }
  validateArchitecture(config['architecture'], checkpoints, path);
  const preferred = config['preferred_dtypes'];
  if (preferred !== undefined) {
    if (
      preferred === null ||
      typeof preferred !== 'object' ||
      Array.isArray(preferred) ||
      Object.keys(preferred).some((key) => key !== 'wasm') ||
      (preferred as Record<string, unknown>)['wasm'] !== 'int8'
    )
      fail(
        path,
        '"preferred_dtypes" must be {"wasm": "int8"} (fp16 runs slower than fp32 on WASM and is never preferred there)',
      );
  }
  return config as unknown as ModelConfig;
}

/**
 * `architecture.type` must name a builder (src/architectures/) when a network comes as a
 * .safetensors checkpoint, and that builder must make every such network. Networks given as .onnx
 * files are passed on as they are, so a model made only of them needs no `architecture`; if it
 * has one, its type must still be a known builder, so a typo never passes silently.
 */
function validateArchitecture(value: unknown, checkpoints: readonly string[], path: string): void {
  const known = Object.keys(ARCHITECTURES).join(', ');
  if (value === undefined) {
    if (checkpoints.length > 0)
      fail(
        path,
        `"architecture" is missing: networks ${checkpoints.join(', ')} come as .safetensors checkpoints, which need "architecture.type" (one of ${known}) and its hyperparameters`,
      );
    return;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    fail(path, '"architecture" must be an object with a "type"');
  const type = (value as Record<string, unknown>)['type'];
  if (typeof type !== 'string') fail(path, '"architecture.type" is missing');
  const builders = ARCHITECTURES[type];
  if (builders === undefined)
    fail(
      path,
      `"architecture.type" "${type}" has no builder (known: ${known}); for a network exported elsewhere, name its .onnx file in "weights"${checkpoints.length === 0 ? ' and leave "architecture" out' : ''}`,
    );
  for (const network of checkpoints) {
    if (builders[network] === undefined)
      fail(
        path,
        `architecture "${type}" has no network "${network}" (it has: ${Object.keys(builders).join(', ')})`,
      );
  }
}

/** Typed reads of architecture hyperparameters, failing with the key's name. */
export class ArchitectureParams {
  constructor(
    private readonly architecture: Readonly<Record<string, unknown>>,
    private readonly configPath: string,
  ) {}

  /** Whether config.json sets this key (optional features such as a guidance input). */
  has(key: string): boolean {
    return this.architecture[key] !== undefined;
  }

  number(key: string, fallback?: number): number {
    const value = this.architecture[key] ?? fallback;
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new ExportError(`"architecture.${key}" must be a number`, { file: this.configPath });
    }
    return value;
  }

  integer(key: string, fallback?: number): number {
    const value = this.number(key, fallback);
    if (!Number.isInteger(value) || value < 0)
      throw new ExportError(`"architecture.${key}" must be a non-negative integer`, {
        file: this.configPath,
      });
    return value;
  }

  /** Rejects a value that reads fine but that the architecture cannot take. */
  invalid(key: string, requirement: string): never {
    throw new ExportError(`"architecture.${key}" ${requirement}`, { file: this.configPath });
  }

  integers(key: string, length?: number): number[] {
    const value = this.architecture[key];
    if (
      !Array.isArray(value) ||
      !value.every((v) => Number.isInteger(v) && (v as number) > 0) ||
      (length !== undefined && value.length !== length)
    ) {
      throw new ExportError(
        `"architecture.${key}" must be a list of ${length ?? 'some'} positive integers`,
        { file: this.configPath },
      );
    }
    return value as number[];
  }
}
