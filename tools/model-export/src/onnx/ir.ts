/**
 * The in-memory form of an ONNX model that the builders produce and the quantizers rewrite.
 * Nodes, value infos and attributes are plain objects with onnx.proto's field names (what
 * protobufjs encodes and decodes); initializers are lazy, so a model is written one tensor at a time.
 */

/** TensorProto.DataType values that this tool reads or writes. */
export const OnnxDataType = Object.freeze({
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  INT32: 6,
  INT64: 7,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
} as const);

export const ONNX_DATA_TYPE_BYTES: Readonly<Record<number, number>> = Object.freeze({
  1: 4,
  2: 1,
  3: 1,
  4: 2,
  5: 2,
  6: 4,
  7: 8,
  9: 1,
  10: 2,
  11: 8,
  12: 4,
  13: 8,
  16: 2,
});

/** AttributeProto.AttributeType values used here. */
export const AttributeType = Object.freeze({
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  FLOATS: 6,
  INTS: 7,
} as const);

/** protobufjs decodes int64 as a Long when long.js is present; we write plain numbers. */
export type Int64Like = number | { toNumber(): number };

export function int64ToNumber(value: Int64Like | undefined | null): number {
  if (value === undefined || value === null) return 0;
  return typeof value === 'number' ? value : value.toNumber();
}

export interface AttributeObject {
  name: string;
  type: number;
  f?: number;
  i?: Int64Like;
  s?: Uint8Array;
  floats?: number[];
  ints?: Int64Like[];
  [field: string]: unknown;
}

export interface NodeObject {
  input: string[];
  output: string[];
  name?: string;
  op_type: string;
  domain?: string;
  attribute: AttributeObject[];
  doc_string?: string;
  [field: string]: unknown;
}

export interface DimensionObject {
  dim_value?: Int64Like;
  dim_param?: string;
}

export interface ValueInfoObject {
  name: string;
  type?: {
    tensor_type?: { elem_type: number; shape?: { dim: DimensionObject[] } };
    [field: string]: unknown;
  };
  doc_string?: string;
  [field: string]: unknown;
}

export interface Initializer {
  readonly name: string;
  readonly dataType: number;
  readonly dims: readonly number[];
  readonly byteLength: number;
  /** For a tensor read from a file's external data: that data file, as the model names it. */
  readonly externalLocation?: string;
  /** Little-endian element bytes; called when the writer reaches this tensor. */
  load(): Promise<Uint8Array>;
}

export interface OnnxGraph {
  name: string;
  nodes: NodeObject[];
  inputs: ValueInfoObject[];
  outputs: ValueInfoObject[];
  initializers: Initializer[];
  /** GraphProto fields we do not model (value_info, sparse_initializer, ...), passed through as decoded. */
  extra: Record<string, unknown>;
}

export interface OnnxModel {
  irVersion: number;
  opsetImports: { domain: string; version: number }[];
  producerName: string;
  producerVersion: string;
  docString?: string;
  metadata: { key: string; value: string }[];
  graph: OnnxGraph;
  /** ModelProto fields we do not model (functions, training_info), passed through as decoded. */
  extra: Record<string, unknown>;
}

export function inMemoryInitializer(
  name: string,
  dataType: number,
  dims: readonly number[],
  bytes: Uint8Array,
): Initializer {
  return { name, dataType, dims, byteLength: bytes.byteLength, load: () => Promise.resolve(bytes) };
}

export function tensorValueInfo(
  name: string,
  elemType: number,
  shape: readonly (number | string)[],
): ValueInfoObject {
  return {
    name,
    type: {
      tensor_type: {
        elem_type: elemType,
        shape: {
          dim: shape.map((dim) =>
            typeof dim === 'number' ? { dim_value: dim } : { dim_param: dim },
          ),
        },
      },
    },
  };
}

export function attributeInt(name: string, value: number): AttributeObject {
  return { name, type: AttributeType.INT, i: value };
}
export function attributeInts(name: string, value: readonly number[]): AttributeObject {
  return { name, type: AttributeType.INTS, ints: [...value] };
}
export function attributeFloat(name: string, value: number): AttributeObject {
  return { name, type: AttributeType.FLOAT, f: value };
}
export function attributeString(name: string, value: string): AttributeObject {
  return { name, type: AttributeType.STRING, s: new TextEncoder().encode(value) };
}

export function findAttribute(node: NodeObject, name: string): AttributeObject | undefined {
  return node.attribute.find((attribute) => attribute.name === name);
}
