import { ExportError } from '../errors.js';
import type { SafetensorsFile } from '../safetensors.js';
import { toFloat32 } from '../safetensors.js';
import {
  OnnxDataType,
  attributeFloat,
  attributeInt,
  attributeInts,
  attributeString,
  inMemoryInitializer,
  tensorValueInfo,
} from './ir.js';
import type { AttributeObject, Initializer, NodeObject, OnnxModel, ValueInfoObject } from './ir.js';

/**
 * The opset every builder targets: 17 is the newest opset whose every operator we use (Conv,
 * ConvTranspose, Gemm, BatchNormalization, InstanceNormalization, Resize, Gather, Sin, Cos, ...)
 * has a kernel in both onnxruntime-web execution providers (2026-11-26); the ops we would gain
 * from 18+ (GroupNormalization) are not in the WebGPU EP's table, see groupNorm in layers.ts.
 * https://github.com/microsoft/onnxruntime/blob/main/js/web/docs/webgpu-operators.md
 * https://github.com/microsoft/onnxruntime/blob/main/docs/OperatorKernels.md (wasm = the CPU EP's kernels)
 */
export const ONNX_OPSET = 17;
/** IR version 8 is what onnxruntime 1.14+ reads and what opset 17 came with. */
export const ONNX_IR_VERSION = 8;

/** Marks nodes the fp16 quantizer must keep in fp32 (it reads this from doc_string, so it survives a round trip through a file). */
export const KEEP_FP32_MARK = 'genviz:keep-fp32';

export type Dim = number | string;

/** Where a builder gets its weights: a checkpoint, or (to list what a checkpoint must hold) a recorder. */
export interface WeightProvider {
  take(
    key: string,
    expectedShape: readonly number[],
    onnxName: string,
    onnxDims?: readonly number[],
  ): Initializer;
}

/** Records every weight a builder asks for, with its shape; the values are zeros. */
export class WeightRecorder implements WeightProvider {
  readonly shapes = new Map<string, readonly number[]>();
  take(
    key: string,
    expectedShape: readonly number[],
    onnxName: string,
    onnxDims: readonly number[] = expectedShape,
  ): Initializer {
    this.shapes.set(key, expectedShape);
    const byteLength = expectedShape.reduce((p, d) => p * d, 1) * 4;
    return {
      name: onnxName,
      dataType: OnnxDataType.FLOAT,
      dims: onnxDims,
      byteLength,
      load: () => Promise.resolve(new Uint8Array(byteLength)),
    };
  }
}

/**
 * Weights of one network, taken by name and checked against the shape the architecture in
 * config.json implies; tensors are read from the checkpoint only when the ONNX writer reaches them.
 */
export class CheckpointWeights implements WeightProvider {
  private readonly used = new Set<string>();
  constructor(readonly file: SafetensorsFile) {}

  take(
    key: string,
    expectedShape: readonly number[],
    onnxName: string,
    onnxDims: readonly number[] = expectedShape,
  ): Initializer {
    const path = this.file.path;
    if (!this.file.has(key)) {
      throw new ExportError(
        `missing tensor: the architecture in config.json needs it with shape [${expectedShape.join(', ')}] (config does not match checkpoint?)`,
        { file: path, tensor: key },
      );
    }
    const info = this.file.info(key);
    if (
      info.shape.length !== expectedShape.length ||
      info.shape.some((dim, i) => dim !== expectedShape[i])
    ) {
      throw new ExportError(
        `has shape [${info.shape.join(', ')}] but the architecture in config.json needs [${expectedShape.join(', ')}] (config does not match checkpoint)`,
        { file: path, tensor: key },
      );
    }
    if (!['F32', 'F16', 'BF16', 'F64'].includes(info.dtype)) {
      throw new ExportError(
        `dtype ${info.dtype} is not a floating-point type; weights must be F32, F16, BF16 or F64`,
        {
          file: path,
          tensor: key,
        },
      );
    }
    this.used.add(key);
    const file = this.file;
    const count = expectedShape.reduce((product, dim) => product * dim, 1);
    return {
      name: onnxName,
      dataType: OnnxDataType.FLOAT,
      dims: onnxDims,
      byteLength: count * 4,
      load: async () => {
        const values = toFloat32(await file.read(key), path);
        return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
      },
    };
  }

  /** A weight whose values the builder transforms (e.g. folding); `transform` gets float32 values. */
  takeTransformed(
    key: string,
    expectedShape: readonly number[],
    onnxName: string,
    onnxDims: readonly number[],
    transform: (values: Float32Array) => Float32Array,
  ): Initializer {
    const plain = this.take(key, expectedShape, onnxName, onnxDims);
    return {
      ...plain,
      load: async () => {
        const raw = await plain.load();
        const out = transform(new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4));
        return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
      },
    };
  }

  /** Tensors in the checkpoint that no layer took: a sign the config describes another model. */
  assertAllUsed(): void {
    const unused = [...this.file.tensors.keys()].filter((key) => !this.used.has(key));
    if (unused.length > 0) {
      const shown =
        unused.slice(0, 5).join(', ') +
        (unused.length > 5 ? `, ... (${unused.length} in all)` : '');
      throw new ExportError(
        `has tensors the architecture in config.json does not use: ${shown} (config does not match checkpoint)`,
        {
          file: this.file.path,
          tensor: unused[0],
        },
      );
    }
  }
}

export interface NodeOptions {
  readonly attributes?: readonly AttributeObject[];
  readonly outputs?: number;
  readonly keepFp32?: boolean;
  readonly name?: string;
}

/** Builds one ONNX graph node by node; names are derived from the PyTorch module paths. */
export class GraphBuilder {
  readonly nodes: NodeObject[] = [];
  readonly initializers: Initializer[] = [];
  readonly inputs: ValueInfoObject[] = [];
  readonly outputs: ValueInfoObject[] = [];
  private readonly names = new Set<string>();
  private readonly constantsByKey = new Map<string, string>();

  constructor(
    readonly weights: WeightProvider | undefined,
    readonly graphName: string,
  ) {}

  uniqueName(base: string): string {
    let name = base;
    for (let i = 1; this.names.has(name); i++) name = `${base}_${i}`;
    this.names.add(name);
    return name;
  }

  input(name: string, elemType: number, shape: readonly Dim[]): string {
    this.names.add(name);
    this.inputs.push(tensorValueInfo(name, elemType, shape));
    return name;
  }

  /** Declares `value` as the graph output `name`, renaming the node output that produced it. */
  output(value: string, name: string, elemType: number, shape: readonly Dim[]): void {
    if (value !== name) {
      const producer = this.nodes.find((node) => node.output.includes(value));
      if (producer === undefined || this.names.has(name)) {
        this.op('Identity', [value], { name: `${name}_identity` });
        this.nodes[this.nodes.length - 1]!.output = [name];
      } else {
        producer.output = producer.output.map((output) => (output === value ? name : output));
        for (const node of this.nodes)
          node.input = node.input.map((input) => (input === value ? name : input));
      }
      this.names.add(name);
    }
    this.outputs.push(tensorValueInfo(name, elemType, shape));
  }

  /** A checkpoint tensor as an initializer named after its key. */
  weight(key: string, shape: readonly number[], onnxDims?: readonly number[]): string {
    if (this.weights === undefined) throw new Error('this graph has no checkpoint');
    const name = this.uniqueName(key);
    this.initializers.push(this.weights.take(key, shape, name, onnxDims));
    return name;
  }

  addInitializer(initializer: Initializer): string {
    this.names.add(initializer.name);
    this.initializers.push(initializer);
    return initializer.name;
  }

  /** A constant tensor; identical constants are stored once. */
  constant(
    base: string,
    dataType: number,
    dims: readonly number[],
    values: readonly number[],
  ): string {
    const key = `${dataType}|${dims.join(',')}|${values.join(',')}`;
    const existing = this.constantsByKey.get(key);
    if (existing !== undefined) return existing;
    const name = this.uniqueName(base);
    let bytes: Uint8Array;
    if (dataType === OnnxDataType.INT64) {
      bytes = new Uint8Array(new BigInt64Array(values.map((v) => BigInt(v))).buffer);
    } else if (dataType === OnnxDataType.FLOAT) {
      bytes = new Uint8Array(Float32Array.from(values).buffer);
    } else {
      throw new Error(`constant of data type ${dataType} is not supported`);
    }
    this.initializers.push(inMemoryInitializer(name, dataType, dims, bytes));
    this.constantsByKey.set(key, name);
    return name;
  }

  int64s(base: string, values: readonly number[]): string {
    return this.constant(base, OnnxDataType.INT64, [values.length], values);
  }

  op(opType: string, inputs: readonly string[], options: NodeOptions = {}): string {
    return this.opMulti(opType, inputs, options)[0]!;
  }

  opMulti(opType: string, inputs: readonly string[], options: NodeOptions = {}): string[] {
    const nodeName = this.uniqueName(options.name ?? opType);
    const outputCount = options.outputs ?? 1;
    const outputs = Array.from({ length: outputCount }, (_, i) =>
      this.uniqueName(outputCount === 1 ? `${nodeName}_out` : `${nodeName}_out${i}`),
    );
    const node: NodeObject = {
      input: [...inputs],
      output: outputs,
      name: nodeName,
      op_type: opType,
      attribute: [...(options.attributes ?? [])],
    };
    if (options.keepFp32) node.doc_string = KEEP_FP32_MARK;
    this.nodes.push(node);
    return outputs;
  }

  toModel(docString: string, metadata: Record<string, string> = {}): OnnxModel {
    return {
      irVersion: ONNX_IR_VERSION,
      opsetImports: [{ domain: '', version: ONNX_OPSET }],
      producerName: '@genviz/model-export',
      producerVersion: '0.0.0',
      docString,
      metadata: Object.entries(metadata).map(([key, value]) => ({ key, value })),
      graph: {
        name: this.graphName,
        nodes: this.nodes,
        inputs: this.inputs,
        outputs: this.outputs,
        initializers: this.initializers,
        extra: {},
      },
      extra: {},
    };
  }
}

export const attr = Object.freeze({
  int: attributeInt,
  ints: attributeInts,
  float: attributeFloat,
  string: attributeString,
});
