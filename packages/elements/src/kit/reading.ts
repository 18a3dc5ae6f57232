import type { DeviceOption, DigitReading, GenvizRuntime, ModelRef } from '@genviz/runtime';
import { devMode, isAborted, messageOf } from './format.js';

/**
 * The classifier's reading of one generated image, computed in the worker. A reading
 * is an extra: when the classifier cannot run, the image still stands, so this resolves
 * undefined (and says why in Lit's dev mode) instead of failing the run.
 */
export async function readImage(
  runtime: GenvizRuntime,
  image: Float32Array,
  options: {
    classifier: ModelRef;
    device: DeviceOption | undefined;
    signal: AbortSignal;
    tag: string;
    /** The image's range: [-1, 1] (the default: the GAN, pixel diffusion) or [0, 1]. */
    range?: 'minus-one-to-one' | 'unit';
  },
): Promise<DigitReading | undefined> {
  try {
    const [reading] = await runtime.classifier.read(image, {
      model: options.classifier,
      device: options.device,
      signal: options.signal,
      range: options.range ?? 'minus-one-to-one',
    });
    return reading;
  } catch (error) {
    if (!isAborted(error) && devMode()) {
      console.warn(`<${options.tag}>: the classifier failed: ${messageOf(error)}`);
    }
    return undefined;
  }
}
