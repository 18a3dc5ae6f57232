import { rgbaToTensor } from '@genviz/core';
import { GenvizError } from '@genviz/runtime';
import { PIXELS, SIDE } from './digits.js';

/**
 * Any image the browser can decode (a URL, a file, a pasted blob), of any size, colour or grey,
 * as a 28x28 grey tensor in [-1, 1]: fitted inside the square on black (MNIST's background),
 * keeping its aspect ratio, then BT.601 luma.
 */
export async function imageToTensor(
  source: string | Blob,
  signal?: AbortSignal,
): Promise<Float32Array> {
  let blob: Blob;
  if (typeof source === 'string') {
    let response: Response;
    try {
      response = await fetch(source, { signal });
    } catch (cause) {
      if (signal?.aborted) throw cause;
      throw new GenvizError('invalid-argument', `Could not fetch the image ${source}.`, {
        cause,
        detail: 'image',
      });
    }
    if (!response.ok) {
      throw new GenvizError(
        'invalid-argument',
        `Could not fetch the image ${source}: HTTP ${response.status}.`,
        { detail: 'image' },
      );
    }
    blob = await response.blob();
  } else {
    blob = source;
  }
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(blob);
  } catch (cause) {
    throw new GenvizError(
      'invalid-argument',
      `That file is not an image the browser can read${blob.type ? ` (${blob.type})` : ''}.`,
      { cause, detail: 'image' },
    );
  }
  const canvas = new OffscreenCanvas(SIDE, SIDE);
  const context = canvas.getContext('2d')!;
  context.fillStyle = '#000';
  context.fillRect(0, 0, SIDE, SIDE);
  context.imageSmoothingEnabled = true;
  context.imageSmoothingQuality = 'high';
  const scale = Math.min(SIDE / bitmap.width, SIDE / bitmap.height);
  const width = bitmap.width * scale;
  const height = bitmap.height * scale;
  context.drawImage(bitmap, (SIDE - width) / 2, (SIDE - height) / 2, width, height);
  bitmap.close();
  const rgba = context.getImageData(0, 0, SIDE, SIDE).data;
  return rgbaToTensor(
    new Float32Array(PIXELS),
    rgba,
    { channels: 1, height: SIDE, width: SIDE },
    'minus-one-to-one',
  );
}
