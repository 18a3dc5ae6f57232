import { copyFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ARCHITECTURES } from './architectures/registry.js';
import { ArchitectureParams } from './config.js';
import type { ModelConfig, NetworkConfig, TensorSpec } from './config.js';
import { ExportError } from './errors.js';
import { writeAtomically } from './atomic.js';
import { CheckpointWeights, GraphBuilder, WeightRecorder } from './onnx/builder.js';
import { OnnxDataType } from './onnx/ir.js';
import type { OnnxModel } from './onnx/ir.js';
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
  const architecture = ARCHITECTURES[config.architecture.type];
  if (architecture === undefined) {
    throw new ExportError(
      `architecture.type "${config.architecture.type}" has no builder (known: ${Object.keys(ARCHITECTURES).join(', ')}); ` +
        'export the network with torch.onnx.export and name the .onnx file in "weights"',
      { file: configPath },
    );
  }
  const buildGraph = architecture[network];
  if (buildGraph === undefined) {
    throw new ExportError(
      `architecture "${config.architecture.type}" has no network "${network}" (it has: ${Object.keys(architecture).join(', ')})`,
      {
        file: configPath,
      },
    );
  }
  const file = await SafetensorsFile.open(weightsPath ?? join(modelDir, net.weights));
  try {
    const weights = new CheckpointWeights(file);
    const b = new GraphBuilder(weights, `${config.id}/${network}`);
    const inputs = net.inputs.map((spec) =>
      b.input(spec.name, onnxElementType(spec.dtype), spec.shape),
    );
    const outputs = buildGraph(b, new ArchitectureParams(config.architecture, configPath), inputs);
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
  const buildGraph = ARCHITECTURES[config.architecture.type]?.[network];
  if (buildGraph === undefined)
    throw new ExportError(`no builder for ${config.architecture.type}/${network}`, {
      file: configPath,
    });
  const recorder = new WeightRecorder();
  const b = new GraphBuilder(recorder, network);
  buildGraph(
    b,
    new ArchitectureParams(config.architecture, configPath),
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
    await writeAtomically(outPath, (temp) => copyFile(source, temp));
    return { path: outPath, bytes: (await stat(outPath)).size, passedThrough: true };
  }
  const { model, close } = await buildNetwork(modelDir, config, network, source);
  try {
    const written = await writeOnnxModel(outPath, model, options.write);
    return {
      path: outPath,
      bytes: written.bytes + (written.externalDataBytes ?? 0),
      passedThrough: false,
    };
  } finally {
    await close();
  }
}

/** An ONNX file handed to us must have the inputs and outputs config.json promises the runtime. */
export function assertInterface(model: OnnxModel, net: NetworkConfig, file: string): void {
  const names = (values: { name: string }[]): string[] => values.map((value) => value.name);
  const inputs = names(model.graph.inputs);
  const outputs = names(model.graph.outputs);
  for (const spec of net.inputs) {
    if (!inputs.includes(spec.name))
      throw new ExportError(`has no input "${spec.name}" (inputs: ${inputs.join(', ')})`, { file });
  }
  for (const spec of net.outputs) {
    if (!outputs.includes(spec.name))
      throw new ExportError(`has no output "${spec.name}" (outputs: ${outputs.join(', ')})`, {
        file,
      });
  }
}
