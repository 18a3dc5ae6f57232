import { open, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ExportError } from '../errors.js';
import { onnxProto } from './proto.js';
import { ONNX_DATA_TYPE_BYTES, int64ToNumber } from './ir.js';
import type { Initializer, Int64Like, NodeObject, OnnxModel, ValueInfoObject } from './ir.js';

interface DecodedTensor {
  name?: string;
  data_type?: number;
  dims?: Int64Like[];
  raw_data?: Uint8Array;
  float_data?: number[];
  int32_data?: number[];
  int64_data?: Int64Like[];
  double_data?: number[];
  data_location?: number;
  external_data?: { key?: string; value?: string }[];
}

interface DecodedGraph {
  node?: NodeObject[];
  name?: string;
  initializer?: DecodedTensor[];
  input?: ValueInfoObject[];
  output?: ValueInfoObject[];
  [field: string]: unknown;
}

interface DecodedModel {
  ir_version?: Int64Like;
  opset_import?: { domain?: string; version?: Int64Like }[];
  producer_name?: string;
  producer_version?: string;
  doc_string?: string;
  metadata_props?: { key?: string; value?: string }[];
  graph?: DecodedGraph;
  [field: string]: unknown;
}

/**
 * Reads an ONNX file (for example one exported by torch.onnx.export for an architecture this tool
 * has no builder for) into the form the quantizers rewrite. External data is read lazily.
 */
export async function readOnnxModel(path: string): Promise<OnnxModel> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new ExportError(`cannot read: ${(error as Error).message}`, { file: path, cause: error });
  }
  const proto = onnxProto();
  let decoded: DecodedModel;
  try {
    decoded = proto.model.toObject(proto.model.decode(bytes), {
      defaults: false,
      arrays: true,
    }) as DecodedModel;
  } catch (error) {
    throw new ExportError(
      `not a readable ONNX model (protobuf decoding failed: ${(error as Error).message})`,
      {
        file: path,
        cause: error,
      },
    );
  }
  const graph = decoded.graph;
  if (
    graph === undefined ||
    (graph.node ?? []).length === 0 ||
    (decoded.opset_import ?? []).length === 0
  ) {
    throw new ExportError('not a readable ONNX model (no graph, no nodes or no opset_import)', {
      file: path,
    });
  }
  const { node, name, initializer, input, output, ...graphExtra } = graph;
  const {
    ir_version: irVersion,
    opset_import: opsetImports,
    producer_name: producerName,
    producer_version: producerVersion,
    doc_string: docString,
    metadata_props: metadata,
    graph: _graph,
    ...modelExtra
  } = decoded;
  const initializerNames = new Set((initializer ?? []).map((tensor) => tensor.name ?? ''));
  return {
    irVersion: int64ToNumber(irVersion),
    opsetImports: (opsetImports ?? []).map((entry) => ({
      domain: entry.domain ?? '',
      version: int64ToNumber(entry.version),
    })),
    producerName: producerName ?? '',
    producerVersion: producerVersion ?? '',
    ...(docString === undefined ? {} : { docString }),
    metadata: (metadata ?? []).map((entry) => ({ key: entry.key ?? '', value: entry.value ?? '' })),
    graph: {
      name: name ?? 'graph',
      nodes: (node ?? []).map((n) => ({
        ...n,
        input: n.input ?? [],
        output: n.output ?? [],
        attribute: n.attribute ?? [],
      })),
      // Old exporters list initializers as graph inputs too; the runtime wants only the real inputs.
      inputs: (input ?? []).filter((value) => !initializerNames.has(value.name)),
      outputs: output ?? [],
      initializers: (initializer ?? []).map((tensor) => decodedInitializer(path, tensor)),
      extra: graphExtra,
    },
    extra: modelExtra,
  };
}

function decodedInitializer(path: string, tensor: DecodedTensor): Initializer {
  const name = tensor.name ?? '';
  const dataType = tensor.data_type ?? 0;
  const dims = (tensor.dims ?? []).map(int64ToNumber);
  const elementBytes = ONNX_DATA_TYPE_BYTES[dataType];
  if (elementBytes === undefined) {
    throw new ExportError(`initializer has unsupported data_type ${dataType}`, {
      file: path,
      tensor: name,
    });
  }
  const byteLength = dims.reduce((product, dim) => product * dim, 1) * elementBytes;
  const where = { file: path, tensor: name };
  if (tensor.data_location === 1) {
    const entries = new Map(
      (tensor.external_data ?? []).map((entry) => [entry.key ?? '', entry.value ?? '']),
    );
    const externalLocation = entries.get('location') ?? '';
    const location = join(dirname(path), externalLocation);
    const offset = Number(entries.get('offset') ?? '0');
    return {
      name,
      dataType,
      dims,
      byteLength,
      externalLocation,
      load: async () => {
        const handle = await open(location, 'r').catch((error: unknown) => {
          throw new ExportError(
            `external data ${location} cannot be opened: ${(error as Error).message}`,
            where,
          );
        });
        try {
          const out = new Uint8Array(byteLength);
          const { bytesRead } = await handle.read(out, 0, byteLength, offset);
          if (bytesRead !== byteLength)
            throw new ExportError(`external data ${location} is truncated`, where);
          return out;
        } finally {
          await handle.close();
        }
      },
    };
  }
  const bytes = inlineTensorBytes(tensor, dataType, byteLength);
  if (bytes.byteLength !== byteLength) {
    throw new ExportError(
      `holds ${bytes.byteLength} bytes but dims ${JSON.stringify(dims)} need ${byteLength}`,
      where,
    );
  }
  return { name, dataType, dims, byteLength, load: () => Promise.resolve(bytes) };
}

function inlineTensorBytes(
  tensor: DecodedTensor,
  dataType: number,
  byteLength: number,
): Uint8Array {
  if (tensor.raw_data !== undefined && tensor.raw_data.byteLength > 0)
    return Uint8Array.from(tensor.raw_data);
  const out = new Uint8Array(byteLength);
  const view = new DataView(out.buffer);
  if (dataType === 1 && tensor.float_data)
    tensor.float_data.forEach((v, i) => view.setFloat32(i * 4, v, true));
  else if (dataType === 11 && tensor.double_data)
    tensor.double_data.forEach((v, i) => view.setFloat64(i * 8, v, true));
  else if (dataType === 7 && tensor.int64_data)
    tensor.int64_data.forEach((v, i) => view.setBigInt64(i * 8, BigInt(int64ToNumber(v)), true));
  else if (tensor.int32_data) {
    // int32_data carries every type of 32 bits or fewer, one element per entry (fp16 as its bits).
    const elementBytes = ONNX_DATA_TYPE_BYTES[dataType] ?? 4;
    tensor.int32_data.forEach((v, i) => {
      if (elementBytes === 4) view.setInt32(i * 4, v, true);
      else if (elementBytes === 2) view.setUint16(i * 2, v & 0xffff, true);
      else view.setUint8(i, v & 0xff);
    });
  }
  return out;
}
