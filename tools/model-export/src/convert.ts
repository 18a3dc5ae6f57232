import { copyFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ARCHITECTURES } from './architectures/registry.js';
import type { NetworkBuilder } from './architectures/architecture.js';
import { ArchitectureParams } from './config.js';
import type { ModelConfig, NetworkConfig, TensorSpec } from './config.js';
import { ExportError } from './errors.js';
import { writeAtomically } from './atomic.js';
import type { OutputTransaction } from './atomic.js';
import { CheckpointWeights, GraphBuilder, WeightRecorder } from './onnx/builder.js';
import { OnnxDataType } from './onnx/ir.js';
import { int64ToNumber } from './onnx/ir.js';
import type { OnnxModel, ValueInfoObject } from './onnx/ir.js';
import { readOnnxModel } from './onnx/reader.js';
import { writeOnnxModel } from './onnx/writer.js';
import type { WriteOnnxOptions } from './onnx/writer.js';
import { SafetensorsFile } from './safetensors.js';

export function onnxElementType(dtype: TensorSpec['dtype']): number {
  return dtype === 'int64' ? OnnxDataType.INT64 : OnnxDataType.FLOAT;
}

export interface ConvertOptions {
  readonly modelDir: string;
  readonly config: ModelConfig;
  readonly network: string;
  /** Defaults to the network's `weights` file in config.json (a GAN snapshot passes its own). */
  readonly weightsPath?: string;
  readonly outPath: string;
  readonly write?: WriteOnnxOptions;
  /** Stage the file in this transaction (convert's networks appear together or not at all). */
  readonly outputs?: OutputTransaction;
}

export interface ConvertResult {
  readonly path: string;
  readonly bytes: number;
  /** True when the network came as an .onnx file and was passed on unchanged. */
  readonly passedThrough: boolean;
}

function networkConfig(config: ModelConfig, network: string, configPath: string): NetworkConfig {
  const net = config.networks[network];
  if (net === undefined) {
    throw new ExportError(
      `has no network "${network}" (networks: ${Object.keys(config.networks).join(', ')})`,
      { file: configPath },
    );
  }
  return net;
}

function networkBuilder(
  config: ModelConfig,
  network: string,
  configPath: string,
): { buildGraph: NetworkBuilder; params: ArchitectureParams } {
  const architecture = config.architecture;
  if (architecture === undefined) {
    throw new ExportError(
      `has no "architecture", so network "${network}" cannot be built from a checkpoint (known architecture types: ${Object.keys(ARCHITECTURES).join(', ')})`,
      { file: configPath },
    );
  }
  const builders = ARCHITECTURES[architecture.type];
  if (builders === undefined) {
    throw new ExportError(
      `architecture.type "${architecture.type}" has no builder (known: ${Object.keys(ARCHITECTURES).join(', ')}); ` +
        'export the network with torch.onnx.export and name the .onnx file in "weights"',
      { file: configPath },
    );
  }
  const buildGraph = builders[network];
  if (buildGraph === undefined) {
    throw new ExportError(
      `architecture "${architecture.type}" has no network "${network}" (it has: ${Object.keys(builders).join(', ')})`,
      { file: configPath },
    );
  }
  return { buildGraph, params: new ArchitectureParams(architecture, configPath) };
}

/**
 * Builds the ONNX graph of one network from config.json's architecture and the safetensors
 * checkpoint. The returned model reads weights lazily from the still-open checkpoint: call
 * `close` once it is written.
 */
export async function buildNetwork(
  modelDir: string,
  config: ModelConfig,
  network: string,
  weightsPath?: string,
): Promise<{ model: OnnxModel; close(): Promise<void> }> {
  const configPath = join(modelDir, 'config.json');
  const net = networkConfig(config, network, configPath);
  const { buildGraph, params } = networkBuilder(config, network, configPath);
  const file = await SafetensorsFile.open(weightsPath ?? join(modelDir, net.weights));
  try {
    const weights = new CheckpointWeights(file);
    const b = new GraphBuilder(weights, `${config.id}/${network}`);
    const inputs = net.inputs.map((spec) =>
      b.input(spec.name, onnxElementType(spec.dtype), spec.shape),
    );
    const outputs = buildGraph(b, params, inputs);
    if (outputs.length !== net.outputs.length) {
      throw new ExportError(
        `networks.${network} lists ${net.outputs.length} outputs, the architecture makes ${outputs.length}`,
        { file: configPath },
      );
    }
    outputs.forEach((value, i) => {
      const spec = net.outputs[i]!;
      b.output(value, spec.name, onnxElementType(spec.dtype), spec.shape);
    });
    weights.assertAllUsed();
    const model = b.toModel(
      `${config.id} ${network}, converted from ${file.path} by genviz-export`,
      {
        'genviz.model_id': config.id,
        'genviz.network': network,
      },
    );
    return { model, close: () => file.close() };
  } catch (error) {
    await file.close();
    throw error;
  }
}

/**
 * The state_dict keys and shapes a checkpoint must hold for `network` of this config: what a model
 * author compares their checkpoint with when convert says it does not match.
 */
export function expectedWeights(
  config: ModelConfig,
  network: string,
  configPath = 'config.json',
): Map<string, readonly number[]> {
  const net = networkConfig(config, network, configPath);
  const { buildGraph, params } = networkBuilder(config, network, configPath);
  const recorder = new WeightRecorder();
  const b = new GraphBuilder(recorder, network);
  buildGraph(
    b,
    params,
    net.inputs.map((spec) => b.input(spec.name, onnxElementType(spec.dtype), spec.shape)),
  );
  return recorder.shapes;
}

/** Converts one network to `outPath`, or passes an .onnx network through after checking it reads. */
export async function convertNetwork(options: ConvertOptions): Promise<ConvertResult> {
  const { modelDir, config, network, outPath } = options;
  const configPath = join(modelDir, 'config.json');
  const net = networkConfig(config, network, configPath);
  const source = options.weightsPath ?? join(modelDir, net.weights);
  if (source.endsWith('.onnx')) {
    const model = await readOnnxModel(source);
    assertInterface(model, net, source);
    if (model.graph.initializers.some((init) => init.externalLocation !== undefined)) {
      // torch.onnx.export puts the tensors of a large model in side files. The runtime loads one
      // file per variant, so they are written back inline (up to protobuf's limit).
      const written = await writeOnnxModel(outPath, model, {
        ...options.write,
        ...(options.outputs ? { outputs: options.outputs } : {}),
      });
      return {
        path: outPath,
        bytes: written.bytes + (written.externalDataBytes ?? 0),
        passedThrough: true,
      };
    }
    await writeAtomically(outPath, (temp) => copyFile(source, temp), options.outputs);
    return { path: outPath, bytes: (await stat(source)).size, passedThrough: true };
  }
  const { model, close } = await buildNetwork(modelDir, config, network, source);
  try {
    const written = await writeOnnxModel(outPath, model, {
      ...options.write,
      ...(options.outputs ? { outputs: options.outputs } : {}),
    });
    return {
      path: outPath,
      bytes: written.bytes + (written.externalDataBytes ?? 0),
      passedThrough: false,
    };
  } finally {
    await close();
  }
}

const ELEMENT_TYPES: Readonly<Record<TensorSpec['dtype'], number>> = Object.freeze({
  float32: OnnxDataType.FLOAT,
  int64: OnnxDataType.INT64,
});

function describeValue(value: ValueInfoObject): string {
  const tensor = value.type?.tensor_type;
  const dtype =
    Object.entries(ELEMENT_TYPES).find(([, type]) => type === tensor?.elem_type)?.[0] ??
    `element type ${tensor?.elem_type ?? '?'}`;
  const dims = tensor?.shape?.dim.map((dim) =>
    dim.dim_param
      ? dim.dim_param
      : dim.dim_value === undefined
        ? '?'
        : int64ToNumber(dim.dim_value),
  );
  return dims === undefined ? dtype : `${dtype} [${dims.join(', ')}]`;
}

/**
 * An ONNX file handed to us must have the inputs and outputs config.json promises the runtime:
 * the names, the element types, and the sizes config.json fixes (a dimension either side leaves
 * open, such as "batch", is not compared).
 */
export function assertInterface(model: OnnxModel, net: NetworkConfig, file: string): void {
  for (const [side, specs, values] of [
    ['input', net.inputs, model.graph.inputs],
    ['output', net.outputs, model.graph.outputs],
  ] as const) {
    for (const spec of specs) {
      const value = values.find((candidate) => candidate.name === spec.name);
      if (value === undefined)
        throw new ExportError(
          `has no ${side} "${spec.name}" (${side}s: ${values.map((v) => v.name).join(', ')})`,
          { file },
        );
      const tensor = value.type?.tensor_type;
      const dims = tensor?.shape?.dim;
      const fits =
        tensor !== undefined &&
        tensor.elem_type === ELEMENT_TYPES[spec.dtype] &&
        (dims === undefined ||
          (dims.length === spec.shape.length &&
            dims.every((dim, i) => {
              const wanted = spec.shape[i];
              const actual = dim.dim_value === undefined ? undefined : int64ToNumber(dim.dim_value);
              return (
                typeof wanted === 'string' ||
                actual === undefined ||
                actual === 0 ||
                actual === wanted
              );
            })));
      if (!fits)
        throw new ExportError(
          `${side} "${spec.name}" is ${describeValue(value)}, config.json says ${spec.dtype} [${spec.shape.join(', ')}]`,
          { file },
        );
    }
  }
}
