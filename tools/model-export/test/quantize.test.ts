import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convertNetwork } from '../src/convert.js';
import { float16BitsToFloat32 } from '../src/safetensors.js';
import { float32ToFloat16Bits, quantizeFile, quantizePerChannel } from '../src/quantize.js';
import { readOnnxModel } from '../src/onnx/reader.js';
import { DECISION_MARGIN, compareOutput, judge, runOnnx } from '../src/verify.js';
import { TINY_CONFIGS, syntheticInputs, temporaryDir, writeTinyModel } from './fixtures.js';

describe('quantize', () => {
  it('compares the decisions of logits that PyTorch makes by a margin, and only those', () => {
    const logit = { name: 'logit', dtype: 'float32', shape: ['batch', 1] } as const;
    const tensor = (values: number[], width = 1) => ({
      shape: [values.length / width, width],
      data: Float32Array.from(values),
    });
    // A verdict of P(real) = 0.4985 (logit -0.006) flipping under int8 rounding is no disagreement...
    const reference = tensor([0.5, -0.006, -0.8]);
    expect(compareOutput(logit, tensor([0.45, 0.02, -0.7]), reference).decisionAgreement).toBe(1);
    // ... a decided verdict flipping is, and the dtype's check says so.
    const flipped = compareOutput(logit, tensor([-0.1, 0.02, -0.7]), reference);
    expect(flipped.decisionAgreement).toBe(0.5);
    expect(judge('int8', [flipped]).join()).toContain(
      `decisions agree on 50.0% of the inputs decided by >= ${DECISION_MARGIN}`,
    );
    // Classes: a row whose two best logits are within the margin is not compared.
    const classes = { name: 'logits', dtype: 'float32', shape: ['batch', 3] } as const;
    const classReference = tensor([3, 1, 0, 2, 2.01, 0], 3);
    expect(
      compareOutput(classes, tensor([3, 1, 0, 2.02, 2.01, 0], 3), classReference).decisionAgreement,
    ).toBe(1);
    expect(
      compareOutput(classes, tensor([1, 3, 0, 2, 2.01, 0], 3), classReference).decisionAgreement,
    ).toBe(0);
  });

  it('rounds float32 to the nearest float16, clamping past 65504', () => {
    for (const value of [0, 1, -2.5, 0.1, 1e-5, 65504, 3.14159]) {
      expect(
        Math.abs(float16BitsToFloat32(float32ToFloat16Bits(value)) - value),
      ).toBeLessThanOrEqual(Math.abs(value) * 2 ** -11 + 2 ** -25);
    }
    expect(float16BitsToFloat32(float32ToFloat16Bits(1e6))).toBe(65504);
    expect(float32ToFloat16Bits(1 + 2 ** -11)).toBe(0x3c00); // a tie rounds to even
  });

  it('gives each output channel its own int8 scale', () => {
    const { quantized, scales } = quantizePerChannel(
      Float32Array.from([1, -0.5, 100, 50]),
      [2, 2],
      0,
    );
    expect(Array.from(scales)).toEqual([Math.fround(1 / 127), Math.fround(100 / 127)]);
    expect(Array.from(quantized)).toEqual([127, -64, 127, 64]);
  });

  it('keeps fp16 variants float32 at the edges and in the timestep embedding, and close to fp32', async () => {
    const models = await temporaryDir();
    const config = TINY_CONFIGS['tiny-ddpm']!;
    const dir = await writeTinyModel(models, 'tiny-ddpm');
    const out = await temporaryDir();
    const fp32 = join(out, 'unet.onnx');
    await convertNetwork({ modelDir: dir, config, network: 'unet', outPath: fp32 });
    await quantizeFile(fp32, join(out, 'unet_fp16.onnx'), 'fp16');
    await quantizeFile(fp32, join(out, 'unet_int8.onnx'), 'int8');
    const fp16Model = await readOnnxModel(join(out, 'unet_fp16.onnx'));
    expect(fp16Model.graph.inputs.map((i) => i.type?.tensor_type?.elem_type)).toEqual([1, 1, 7]);
    expect(fp16Model.graph.outputs.map((o) => o.type?.tensor_type?.elem_type)).toEqual([1]);
    const sin = fp16Model.graph.nodes.find((n) => n.op_type === 'Sin')!;
    expect(
      fp16Model.graph.initializers.find((i) => i.name === 'time_embedding.frequencies')?.dataType,
    ).toBe(1);
    expect(sin.input[0]).not.toMatch(/__to_fp32$/);
    expect(fp16Model.graph.initializers.filter((i) => i.dataType === 10).length).toBeGreaterThan(
      10,
    );

    const int8Model = await readOnnxModel(join(out, 'unet_int8.onnx'));
    const dequantize = int8Model.graph.nodes.filter((n) => n.op_type === 'DequantizeLinear');
    expect(dequantize.length).toBeGreaterThan(5);
    expect(
      int8Model.graph.initializers.find((i) => i.name === 'class_embedding.weight__int8')?.dims,
    ).toEqual([11, 32]);

    const feeds = syntheticInputs(config, 'unet', 4, 11);
    const reference = (await runOnnx(fp32, feeds))['noise_pred']!;
    const spec = config.networks['unet']!.outputs[0]!;
    for (const [dtype, minimum] of [
      ['fp16', 45],
      ['int8', 30],
    ] as const) {
      const metrics = compareOutput(
        spec,
        (await runOnnx(join(out, `unet_${dtype}.onnx`), feeds))['noise_pred']!,
        reference,
      );
      expect(metrics.psnrDb!, dtype).toBeGreaterThan(minimum);
    }
  });
});

describe('fp16 on graphs exported elsewhere', () => {
  it('casts only float values: int64 Constants, ConstantOfShape and index outputs keep their type', async () => {
    const { toFloat16 } = await import('../src/quantize.js');
    const { OnnxDataType, AttributeType, tensorValueInfo, attributeInt } =
      await import('../src/onnx/ir.js');
    const tensor = (dataType: number, bytes: Uint8Array, dims: number[]) => ({
      name: 'value',
      type: AttributeType.TENSOR,
      t: { data_type: dataType, dims, raw_data: bytes },
    });
    const model = {
      irVersion: 8,
      opsetImports: [{ domain: '', version: 17 }],
      producerName: 'pytorch',
      producerVersion: '2.5.1',
      metadata: [],
      extra: {},
      graph: {
        name: 'g',
        extra: {},
        initializers: [],
        inputs: [tensorValueInfo('x', OnnxDataType.FLOAT, ['batch', 6])],
        outputs: [
          tensorValueInfo('y', OnnxDataType.FLOAT, ['batch', 2, 3]),
          tensorValueInfo('indices', OnnxDataType.INT64, ['batch', 1]),
          tensorValueInfo('zeros', OnnxDataType.FLOAT, [2]),
        ],
        nodes: [
          {
            name: 'shape',
            op_type: 'Constant',
            input: [],
            output: ['shape'],
            attribute: [tensor(7, new Uint8Array(BigInt64Array.from([-1n, 2n, 3n]).buffer), [3])],
          },
          {
            name: 'reshape',
            op_type: 'Reshape',
            input: ['x', 'shape'],
            output: ['y'],
            attribute: [],
          },
          {
            name: 'k',
            op_type: 'Constant',
            input: [],
            output: ['k'],
            attribute: [{ name: 'value_ints', type: AttributeType.INTS, ints: [1] }],
          },
          {
            name: 'topk',
            op_type: 'TopK',
            input: ['x', 'k'],
            output: ['values', 'indices'],
            attribute: [attributeInt('axis', 1)],
          },
          {
            name: 'size',
            op_type: 'Constant',
            input: [],
            output: ['size'],
            attribute: [tensor(7, new Uint8Array(BigInt64Array.from([2n]).buffer), [1])],
          },
          {
            name: 'zeros',
            op_type: 'ConstantOfShape',
            input: ['size'],
            output: ['zeros'],
            attribute: [],
          },
        ],
      },
    };
    const converted = toFloat16(model);
    const casts = converted.graph.nodes.filter((node) => node.op_type === 'Cast');
    // x goes to fp16 once, y comes back to fp32; nothing int64 is cast.
    expect(casts.map((node) => node.input[0])).toEqual(['x', 'y__fp16']);
    expect(converted.graph.nodes.find((n) => n.op_type === 'Reshape')!.input[1]).toBe('shape');
    expect(converted.graph.nodes.find((n) => n.op_type === 'TopK')!.input[1]).toBe('k');
    const path = join(await temporaryDir(), 'g_fp16.onnx');
    const { writeOnnxModel } = await import('../src/onnx/writer.js');
    await writeOnnxModel(path, converted);
    const x = Float32Array.from({ length: 12 }, (_, i) => i - 5);
    const out = await runOnnx(path, { x: { dtype: 'float32', shape: [2, 6], data: x } });
    expect(Array.from(out['y']!.data)).toEqual(Array.from(x));
    expect(Array.from(out['indices']!.data as unknown as BigInt64Array)).toEqual([5n, 5n]);
    expect(Array.from(out['zeros']!.data)).toEqual([0, 0]);
  });
});
