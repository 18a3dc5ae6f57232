import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExportError } from '../src/errors.js';
import { ArrayFilesReference, parseNpy, parseReferenceOptions } from '../src/reference.js';
import { loadReference } from '../src/verify.js';
import { TINY_CONFIGS, temporaryDir } from './fixtures.js';
import { npyBytes } from './npy.js';

const ddpm = TINY_CONFIGS['tiny-ddpm']!;

function thrown(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ExportError);
    return (error as Error).message;
  }
  throw new Error('did not throw');
}

describe('reference arrays', () => {
  it('reads .npy files as numpy.save writes them, big-endian and float64 included', () => {
    const little = parseNpy(npyBytes(Float32Array.from([1.5, -2]), [2, 1]), 'a.npy');
    expect(little.dtype).toBe('F32');
    expect(little.shape).toEqual([2, 1]);
    expect(Array.from(new Float32Array(little.bytes.buffer))).toEqual([1.5, -2]);
    // '>f8': numpy on a big-endian machine, or astype('>f8').
    const big = new Uint8Array(16);
    new DataView(big.buffer).setFloat64(0, 0.25, false);
    new DataView(big.buffer).setFloat64(8, -3, false);
    const parsed = parseNpy(npyBytes(new Float64Array(big.buffer), [2], { descr: '>f8' }), 'b.npy');
    expect(parsed.dtype).toBe('F64');
    expect(Array.from(new Float64Array(parsed.bytes.buffer))).toEqual([0.25, -3]);
    const scalarShape = parseNpy(npyBytes(Float32Array.from([7]), []), 'c.npy');
    expect(scalarShape.shape).toEqual([]);
  });

  it('names the file and what is wrong with a .npy file it cannot use', () => {
    expect(thrown(() => parseNpy(Uint8Array.from([1, 2, 3]), 'x.npy'))).toMatch(
      /x\.npy: is not a \.npy file/,
    );
    const truncated = npyBytes(Float32Array.from([1, 2, 3]), [3]).slice(0, -4);
    expect(thrown(() => parseNpy(truncated, 'x.npy'))).toMatch(
      /\.npy data holds 8 bytes, but <f4 \(3\) needs 12/,
    );
    const fortran = npyBytes(new Float32Array(6), [2, 3], { fortranOrder: true });
    expect(thrown(() => parseNpy(fortran, 'x.npy'))).toMatch(/Fortran order; save it with/);
    const complex = npyBytes(new Float64Array(2), [1], { descr: '<c16' });
    expect(thrown(() => parseNpy(complex, 'x.npy'))).toMatch(/dtype '<c16' is not a number type/);
  });

  it('feeds int64 inputs from int64 .npy files and from whole-number raw float32', async () => {
    const dir = await temporaryDir();
    const net = ddpm.networks['unet']!;
    await writeFile(join(dir, 'sample.npy'), npyBytes(new Float32Array(2 * 784), [2, 1, 28, 28]));
    await writeFile(join(dir, 'timestep.f32'), new Uint8Array(Float32Array.from([999, 0]).buffer));
    await writeFile(join(dir, 'label.npy'), npyBytes(BigInt64Array.from([3n, 10n]), [2]));
    await writeFile(join(dir, 'noise.npy'), npyBytes(new Float32Array(2 * 784), [2, 1, 28, 28]));
    const files = [
      { key: 'unet.sample', file: join(dir, 'sample.npy') },
      { key: 'unet.timestep', file: join(dir, 'timestep.f32'), shape: [2] },
      { key: 'unet.class_label', file: join(dir, 'label.npy') },
      { key: 'unet.noise_pred', file: join(dir, 'noise.npy') },
    ];
    const reference = await loadReference(new ArrayFilesReference(files), 'unet', net);
    expect(reference.inputs['class_label']!.data).toEqual(BigInt64Array.from([3n, 10n]));
    expect(reference.inputs['timestep']!.data).toEqual(Float32Array.from([999, 0]));

    // A class label of 2.5 cannot be an int64 input.
    await writeFile(join(dir, 'label.f32'), new Uint8Array(Float32Array.from([2.5, 1]).buffer));
    files[2] = { key: 'unet.class_label', file: join(dir, 'label.f32'), shape: [2] };
    const error = await loadReference(new ArrayFilesReference(files), 'unet', net).catch(
      (e: unknown) => e,
    );
    expect((error as Error).message).toMatch(
      /label\.f32: tensor "unet\.class_label": the network input is int64, but element 0 is 2\.5/,
    );
    // A shape that config.json does not allow is named with both shapes.
    files[2] = { key: 'unet.class_label', file: join(dir, 'label.npy') };
    files[0] = { key: 'unet.sample', file: join(dir, 'timestep.f32'), shape: [2] };
    const shapeError = await loadReference(new ArrayFilesReference(files), 'unet', net).catch(
      (e: unknown) => e,
    );
    expect((shapeError as Error).message).toMatch(
      /tensor "unet\.sample": has shape \[2\], config\.json says \[batch, 1, 28, 28\]/,
    );
  });

  it('parses --ref values and checks their keys against config.json', async () => {
    const dir = await temporaryDir();
    await mkdir(join(dir, 'refs'));
    await writeFile(join(dir, 'refs', 'unet.sample.npy'), npyBytes(new Float32Array(1), [1]));
    await writeFile(join(dir, 'refs', 'notes.npy'), npyBytes(new Float32Array(1), [1]));
    const parsed = await parseReferenceOptions(
      [join(dir, 'refs'), 'unet.timestep=t.bin:4', 'unet.noise_pred=n.npy'],
      ddpm,
      'config.json',
    );
    expect(parsed).toEqual([
      { key: 'unet.sample', file: join(dir, 'refs', 'unet.sample.npy') },
      { key: 'unet.timestep', file: 't.bin', shape: [4] },
      { key: 'unet.noise_pred', file: 'n.npy' },
    ]);
    const refused = async (values: string[]) =>
      ((await parseReferenceOptions(values, ddpm, 'config.json').catch((e: unknown) => e)) as Error)
        .message;
    expect(await refused(['unet.smaple=s.npy'])).toMatch(
      /"unet\.smaple" is no input or output in config\.json \(known: unet\.sample, /,
    );
    expect(await refused(['unet.sample=s.bin'])).toMatch(/give a \.npy file, or raw float32/);
    expect(await refused(['unet.sample=s.npy:2x2'])).toMatch(/a \.npy file carries its own shape/);
    expect(await refused(['unet.sample=a.npy', 'unet.sample=b.npy'])).toMatch(
      /gives "unet\.sample" twice/,
    );
    expect(await refused([join(dir, 'nowhere')])).toMatch(
      /is neither <network>\.<io>=<file> nor a folder/,
    );
  });
});
