import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { onnxProto } from './proto.js';
import type { Initializer, OnnxModel } from './ir.js';
import { withOutputs } from '../atomic.js';
import type { OutputTransaction } from '../atomic.js';
import { ExportError } from '../errors.js';

/**
 * Protobuf messages, and so ONNX files without external data, cannot exceed 2 GiB: protobuf's
 * parsers (onnxruntime's included) refuse them. Past this total we move tensor bytes to a
 * `<file>.data` side file, as onnx's `save_model(..., save_as_external_data=True)` does.
 * https://onnx.ai/onnx/repo-docs/ExternalData.html
 */
export const PROTOBUF_LIMIT_BYTES = 2 ** 31 - 1;
/** Keep a margin under the limit for the graph's nodes and the tensors' headers. */
const AUTO_EXTERNAL_DATA_BYTES = 1.8 * 2 ** 30;
/** Small tensors stay inline even with external data: one read for a scalar is not worth it. */
const EXTERNAL_DATA_MIN_TENSOR_BYTES = 1024;
/** Offsets in the data file are aligned so a runtime may map them directly. */
const EXTERNAL_DATA_ALIGNMENT = 4096;

export interface WriteOnnxOptions {
  /** 'auto' (default): external data only when the inline file would pass the protobuf limit. */
  readonly externalData?: 'auto' | 'always' | 'never';
  /**
   * Write under temporary names in this transaction, to appear when it commits (with the other
   * files of the same command); without one, the file appears as soon as it is complete.
   */
  readonly outputs?: OutputTransaction;
}

export interface WrittenOnnx {
  readonly path: string;
  readonly bytes: number;
  /** The side file with tensor bytes, when external data was used. */
  readonly externalDataPath?: string;
  readonly externalDataBytes?: number;
}

const WIRE_LENGTH_DELIMITED = 2;

function varint(value: number): Uint8Array {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
  return Uint8Array.from(bytes);
}

function tag(fieldNumber: number): Uint8Array {
  return varint(fieldNumber * 8 + WIRE_LENGTH_DELIMITED);
}

// Field numbers from onnx.proto used when streaming the parts protobufjs does not encode for us.
const MODEL_GRAPH_FIELD = 7;
const GRAPH_INITIALIZER_FIELD = 5;
const TENSOR_RAW_DATA_FIELD = 9;

interface PlannedTensor {
  readonly initializer: Initializer;
  /** The TensorProto without raw_data, encoded by protobufjs. */
  readonly header: Uint8Array;
  readonly inline: boolean;
  readonly encodedLength: number;
}

/**
 * Writes `model` to `path` with one tensor in memory at a time: protobufjs encodes the model and the
 * graph without their initializers, and each initializer (header by protobufjs, then its raw bytes)
 * is appended as the graph's field 5. Protobuf allows fields in any order, so the file is the same
 * message onnx would write, with the initializers last. The file appears only when complete.
 */
export async function writeOnnxModel(
  path: string,
  model: OnnxModel,
  options: WriteOnnxOptions = {},
): Promise<WrittenOnnx> {
  const proto = onnxProto();
  const totalTensorBytes = model.graph.initializers.reduce((sum, init) => sum + init.byteLength, 0);
  const mode = options.externalData ?? 'auto';
  const useExternal =
    mode === 'always' || (mode === 'auto' && totalTensorBytes > AUTO_EXTERNAL_DATA_BYTES);
  const dataFileName = `${basename(path)}.data`;

  let externalOffset = 0;
  const planned: PlannedTensor[] = [];
  const externalPlacements = new Map<string, number>();
  for (const initializer of model.graph.initializers) {
    const inline = !useExternal || initializer.byteLength < EXTERNAL_DATA_MIN_TENSOR_BYTES;
    const headerObject: Record<string, unknown> = {
      name: initializer.name,
      data_type: initializer.dataType,
      dims: [...initializer.dims],
    };
    if (!inline) {
      externalOffset =
        Math.ceil(externalOffset / EXTERNAL_DATA_ALIGNMENT) * EXTERNAL_DATA_ALIGNMENT;
      externalPlacements.set(initializer.name, externalOffset);
      headerObject['data_location'] = 1;
      headerObject['external_data'] = [
        { key: 'location', value: dataFileName },
        { key: 'offset', value: String(externalOffset) },
        { key: 'length', value: String(initializer.byteLength) },
      ];
      externalOffset += initializer.byteLength;
    }
    const header = proto.tensor.encode(proto.tensor.fromObject(headerObject)).finish();
    const rawLength = inline
      ? tag(TENSOR_RAW_DATA_FIELD).length +
        varint(initializer.byteLength).length +
        initializer.byteLength
      : 0;
    planned.push({ initializer, header, inline, encodedLength: header.length + rawLength });
  }

  const graphWithoutInitializers = proto.graph
    .encode(
      proto.graph.fromObject({
        ...model.graph.extra,
        name: model.graph.name,
        node: model.graph.nodes,
        input: model.graph.inputs,
        output: model.graph.outputs,
      }),
    )
    .finish();
  const modelWithoutGraph = proto.model
    .encode(
      proto.model.fromObject({
        ...model.extra,
        ir_version: model.irVersion,
        opset_import: model.opsetImports,
        producer_name: model.producerName,
        producer_version: model.producerVersion,
        doc_string: model.docString ?? '',
        metadata_props: model.metadata,
      }),
    )
    .finish();

  const graphLength =
    graphWithoutInitializers.length +
    planned.reduce(
      (sum, tensor) =>
        sum +
        tag(GRAPH_INITIALIZER_FIELD).length +
        varint(tensor.encodedLength).length +
        tensor.encodedLength,
      0,
    );
  const fileLength =
    modelWithoutGraph.length +
    tag(MODEL_GRAPH_FIELD).length +
    varint(graphLength).length +
    graphLength;
  if (fileLength > PROTOBUF_LIMIT_BYTES) {
    throw new ExportError(
      `the model is ${fileLength} bytes inline, over protobuf's 2 GiB limit; use external data`,
      { file: path },
    );
  }

  const write = async (outputs: OutputTransaction): Promise<void> => {
    // The data file is staged first, so it is renamed first: a model file never points at a data
    // file that is not there.
    const tempData = useExternal ? await outputs.stage(dataPath) : undefined;
    const tempModel = await outputs.stage(path);
    let modelHandle: FileHandle | undefined;
    let dataHandle: FileHandle | undefined;
    try {
      modelHandle = await open(tempModel, 'w');
      if (tempData !== undefined) dataHandle = await open(tempData, 'w');
      const out = new SequentialWriter(modelHandle);
      await out.write(modelWithoutGraph);
      await out.write(tag(MODEL_GRAPH_FIELD));
      await out.write(varint(graphLength));
      await out.write(graphWithoutInitializers);
      for (const tensor of planned) {
        const bytes = await tensor.initializer.load();
        if (bytes.byteLength !== tensor.initializer.byteLength) {
          throw new ExportError(
            `initializer produced ${bytes.byteLength} bytes, its dims need ${tensor.initializer.byteLength}`,
            { file: path, tensor: tensor.initializer.name },
          );
        }
        await out.write(tag(GRAPH_INITIALIZER_FIELD));
        await out.write(varint(tensor.encodedLength));
        await out.write(tensor.header);
        if (tensor.inline) {
          await out.write(tag(TENSOR_RAW_DATA_FIELD));
          await out.write(varint(bytes.byteLength));
          await out.write(bytes);
        } else if (dataHandle !== undefined) {
          await dataHandle.write(
            bytes,
            0,
            bytes.byteLength,
            externalPlacements.get(tensor.initializer.name),
          );
        }
      }
    } finally {
      await modelHandle?.close();
      await dataHandle?.close();
    }
  };
  const dataPath = join(dirname(path), dataFileName);
  if (options.outputs !== undefined) await write(options.outputs);
  else await withOutputs(write);
  const written: WrittenOnnx = { path, bytes: fileLength };
  if (!useExternal) return written;
  return {
    ...written,
    externalDataPath: dataPath,
    externalDataBytes: planned.reduce(
      (end, tensor) =>
        tensor.inline
          ? end
          : Math.max(
              end,
              (externalPlacements.get(tensor.initializer.name) ?? 0) +
                tensor.initializer.byteLength,
            ),
      0,
    ),
  };
}

/** Appends at the file's end, tracking the position so writes never race. */
class SequentialWriter {
  private position = 0;
  constructor(private readonly handle: FileHandle) {}
  async write(bytes: Uint8Array): Promise<void> {
    await this.handle.write(bytes, 0, bytes.byteLength, this.position);
    this.position += bytes.byteLength;
  }
}
