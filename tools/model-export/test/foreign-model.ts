import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelConfig } from '../src/config.js';
import {
  AttributeType,
  OnnxDataType,
  attributeFloat,
  attributeInt,
  attributeInts,
  attributeString,
  inMemoryInitializer,
  tensorValueInfo,
} from '../src/onnx/ir.js';
import type { AttributeObject, Initializer, NodeObject, OnnxModel } from '../src/onnx/ir.js';
import { writeOnnxModel } from '../src/onnx/writer.js';
import { seededRandom } from './fixtures.js';

/*
 * A model we did not write, as torch.onnx.export (opset 17, TorchScript exporter) writes it: a
 * small autoencoder in two files, built here node by node so no Python runs at test time.
 *
 * encoder.onnx, image [N, 1, 16, 16] -> latent [N, 4]:
 *   Conv(1->8, k3 s2 p1) - BatchNormalization - GELU - x.view(x.size(0), -1) - Linear(512->4)
 * decoder.onnx, latent [N, 4] -> image [N, 1, 16, 16]:
 *   Linear(4->128) - ReLU - x.view(-1, 8, 4, 4) - Upsample(x2, nearest) - ConvTranspose(8->4,
 *   k4 s2 p1) - BatchNormalization - GELU - Conv(4->1, k3 p1) - Sigmoid
 *
 * What makes it torch's and not ours: node names like "/encoder/conv/Conv"; initializers named
 * by the state_dict or "onnx::Gemm_42"; the view's shape as Shape -> Gather -> Unsqueeze ->
 * Concat (x.size(0)) or as an int64 Constant (the -1, 8, 4, 4); GELU decomposed into
 * Div/Erf/Add/Mul/Mul with float scalar Constants (nn.GELU has no ONNX op before opset 20);
 * Upsample as Resize with its scales in a float Constant and an empty roi.
 */

export const FOREIGN_IMAGE_SIZE = 16;
export const FOREIGN_LATENT = 4;

class TorchStyleGraph {
  readonly nodes: NodeObject[] = [];
  readonly initializers: Initializer[] = [];
  private counter = 0;
  constructor(
    private readonly random: () => number,
    private readonly scope: string,
  ) {}

  node(
    opType: string,
    inputs: string[],
    attributes: AttributeObject[] = [],
    module = '',
    outputs = 1,
  ): string[] {
    const id = this.counter++;
    const name = `/${this.scope}${module ? `/${module}` : ''}/${opType}${id === 0 ? '' : `_${id}`}`;
    const out = Array.from({ length: outputs }, (_, i) => `${name}_output_${i}`);
    this.nodes.push({ name, op_type: opType, input: inputs, output: out, attribute: attributes });
    return out;
  }

  op(opType: string, inputs: string[], attributes: AttributeObject[] = [], module = ''): string {
    return this.node(opType, inputs, attributes, module)[0]!;
  }

  constant(dataType: number, dims: number[], bytes: Uint8Array): string {
    const tensor = { data_type: dataType, dims, raw_data: bytes };
    return this.op('Constant', [], [{ name: 'value', type: AttributeType.TENSOR, t: tensor }]);
  }

  int64Constant(values: number[], scalar = false): string {
    const data = BigInt64Array.from(values.map(BigInt));
    return this.constant(
      OnnxDataType.INT64,
      scalar ? [] : [values.length],
      new Uint8Array(data.buffer),
    );
  }

  floatConstant(values: number[], scalar = false): string {
    const data = Float32Array.from(values);
    return this.constant(
      OnnxDataType.FLOAT,
      scalar ? [] : [values.length],
      new Uint8Array(data.buffer),
    );
  }

  weight(name: string, dims: number[], fill: 'uniform' | 'ones' | 'mean' | 'var'): string {
    const count = dims.reduce((p, d) => p * d, 1);
    const fanIn = dims.length > 1 ? count / dims[0]! : 1;
    const bound = 1 / Math.sqrt(fanIn);
    const values = Float32Array.from({ length: count }, () => {
      const r = this.random();
      if (fill === 'ones') return 1 + 0.2 * (r - 0.5);
      if (fill === 'mean') return 0.2 * (r - 0.5);
      if (fill === 'var') return 0.5 + r;
      return bound * (2 * r - 1);
    });
    this.initializers.push(
      inMemoryInitializer(name, OnnxDataType.FLOAT, dims, new Uint8Array(values.buffer)),
    );
    return name;
  }

  batchNorm(x: string, module: string, channels: number): string {
    return this.op(
      'BatchNormalization',
      [
        x,
        this.weight(`${module}.weight`, [channels], 'ones'),
        this.weight(`${module}.bias`, [channels], 'mean'),
        this.weight(`${module}.running_mean`, [channels], 'mean'),
        this.weight(`${module}.running_var`, [channels], 'var'),
      ],
      [attributeFloat('epsilon', 1e-5), attributeFloat('momentum', 0.9)],
      module,
    );
  }

  /** nn.GELU() at opset 17: x * 0.5 * (1 + erf(x / sqrt(2))). */
  gelu(x: string, module: string): string {
    const scaled = this.op('Div', [x, this.floatConstant([Math.SQRT2], true)], [], module);
    const erf = this.op('Erf', [scaled], [], module);
    const shifted = this.op('Add', [erf, this.floatConstant([1], true)], [], module);
    const product = this.op('Mul', [x, shifted], [], module);
    return this.op('Mul', [product, this.floatConstant([0.5], true)], [], module);
  }

  linear(x: string, module: string, inFeatures: number, outFeatures: number): string {
    return this.op(
      'Gemm',
      [
        x,
        this.weight(`${module}.weight`, [outFeatures, inFeatures], 'uniform'),
        this.weight(`onnx::Gemm_${100 + this.counter}`, [outFeatures], 'uniform'),
      ],
      [attributeFloat('alpha', 1), attributeFloat('beta', 1), attributeInt('transB', 1)],
      module,
    );
  }

  conv(
    opType: 'Conv' | 'ConvTranspose',
    x: string,
    module: string,
    dims: [number, number, number],
    stride: number,
    padding: number,
  ): string {
    const [inChannels, outChannels, kernel] = dims;
    const weightDims =
      opType === 'Conv'
        ? [outChannels, inChannels, kernel, kernel]
        : [inChannels, outChannels, kernel, kernel];
    return this.op(
      opType,
      [
        x,
        this.weight(`${module}.weight`, weightDims, 'uniform'),
        this.weight(`${module}.bias`, [outChannels], 'uniform'),
      ],
      [
        attributeInts('dilations', [1, 1]),
        attributeInt('group', 1),
        attributeInts('kernel_shape', [kernel, kernel]),
        attributeInts('pads', [padding, padding, padding, padding]),
        attributeInts('strides', [stride, stride]),
      ],
      module,
    );
  }

  model(inputName: string, inputShape: (number | string)[], outputs: [string, string, number[]][]) {
    const renamed = new Map(outputs.map(([value, name]) => [value, name]));
    // torch names graph outputs by output_names: the node writing the value writes that name.
    for (const node of this.nodes) {
      node.output = node.output.map((name) => renamed.get(name) ?? name);
      node.input = node.input.map((name) => renamed.get(name) ?? name);
    }
    const model: OnnxModel = {
      irVersion: 8,
      opsetImports: [{ domain: '', version: 17 }],
      producerName: 'pytorch',
      producerVersion: '2.5.1',
      metadata: [],
      graph: {
        name: 'main_graph',
        nodes: this.nodes,
        inputs: [tensorValueInfo(inputName, OnnxDataType.FLOAT, inputShape)],
        outputs: outputs.map(([, name, shape]) =>
          tensorValueInfo(name, OnnxDataType.FLOAT, ['batch_size', ...shape]),
        ),
        initializers: this.initializers,
        extra: {},
      },
      extra: {},
    };
    return model;
  }
}

function encoderModel(seed: number): OnnxModel {
  const g = new TorchStyleGraph(seededRandom(seed), 'encoder');
  let x = g.conv('Conv', 'image', 'conv', [1, 8, 3], 2, 1);
  x = g.batchNorm(x, 'norm', 8);
  x = g.gelu(x, 'act');
  // x.view(x.size(0), -1)
  const shape = g.op('Shape', [x]);
  const batch = g.op('Gather', [shape, g.int64Constant([0], true)], [attributeInt('axis', 0)]);
  const batchDim = g.op('Unsqueeze', [batch, g.int64Constant([0])]);
  const target = g.op('Concat', [batchDim, g.int64Constant([-1])], [attributeInt('axis', 0)]);
  x = g.op('Reshape', [x, target], [attributeInt('allowzero', 0)]);
  const side = FOREIGN_IMAGE_SIZE / 2;
  const latent = g.linear(x, 'to_latent', 8 * side * side, FOREIGN_LATENT);
  return g.model(
    'image',
    ['batch_size', 1, FOREIGN_IMAGE_SIZE, FOREIGN_IMAGE_SIZE],
    [[latent, 'latent', [FOREIGN_LATENT]]],
  );
}

function decoderModel(seed: number): OnnxModel {
  const g = new TorchStyleGraph(seededRandom(seed), 'decoder');
  const quarter = FOREIGN_IMAGE_SIZE / 4;
  let x = g.linear('latent', 'fc', FOREIGN_LATENT, 8 * quarter * quarter);
  x = g.op('Relu', [x], [], 'fc_act');
  // x.view(-1, 8, 4, 4): an int64 Constant straight into Reshape
  x = g.op(
    'Reshape',
    [x, g.int64Constant([-1, 8, quarter, quarter])],
    [attributeInt('allowzero', 0)],
  );
  // nn.Upsample(scale_factor=2, mode="nearest")
  x = g.op(
    'Resize',
    [x, '', g.floatConstant([1, 1, 2, 2])],
    [
      attributeString('coordinate_transformation_mode', 'asymmetric'),
      attributeFloat('cubic_coeff_a', -0.75),
      attributeString('mode', 'nearest'),
      attributeString('nearest_mode', 'floor'),
    ],
    'up',
  );
  x = g.conv('ConvTranspose', x, 'deconv', [8, 4, 4], 2, 1);
  x = g.batchNorm(x, 'norm', 4);
  x = g.gelu(x, 'act');
  x = g.conv('Conv', x, 'out', [4, 1, 3], 1, 1);
  const image = g.op('Sigmoid', [x], [], 'out_act');
  return g.model(
    'latent',
    ['batch_size', FOREIGN_LATENT],
    [[image, 'image', [1, FOREIGN_IMAGE_SIZE, FOREIGN_IMAGE_SIZE]]],
  );
}

/** config.json for a model whose networks come as .onnx files: no `architecture`. */
export const FOREIGN_CONFIG: ModelConfig = {
  id: 'foreign-ae',
  task: 'vae',
  networks: {
    encoder: {
      weights: 'exported/encoder.onnx',
      inputs: [
        {
          name: 'image',
          dtype: 'float32',
          shape: ['batch', 1, FOREIGN_IMAGE_SIZE, FOREIGN_IMAGE_SIZE],
          range: [0, 1],
        },
      ],
      outputs: [{ name: 'latent', dtype: 'float32', shape: ['batch', FOREIGN_LATENT] }],
    },
    decoder: {
      weights: 'exported/decoder.onnx',
      inputs: [{ name: 'latent', dtype: 'float32', shape: ['batch', FOREIGN_LATENT] }],
      outputs: [
        {
          name: 'image',
          dtype: 'float32',
          shape: ['batch', 1, FOREIGN_IMAGE_SIZE, FOREIGN_IMAGE_SIZE],
          range: [0, 1],
        },
      ],
    },
  },
};

/**
 * A model folder as an author of a foreign model has it: config.json and the two exported files
 * under exported/. No reference.safetensors: the references come as .npy files (see the test).
 */
export async function writeForeignModel(modelsDir: string, seed = 5): Promise<string> {
  const dir = join(modelsDir, FOREIGN_CONFIG.id);
  await mkdir(join(dir, 'exported'), { recursive: true });
  await writeFile(join(dir, 'config.json'), JSON.stringify(FOREIGN_CONFIG, null, 2));
  await writeOnnxModel(join(dir, 'exported', 'encoder.onnx'), encoderModel(seed));
  await writeOnnxModel(join(dir, 'exported', 'decoder.onnx'), decoderModel(seed + 1));
  return dir;
}
