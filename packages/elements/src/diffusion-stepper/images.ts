import { rgbaToTensor } from '@genviz/core';
import { GenvizError } from '@genviz/runtime';
import type { GenvizRuntime } from '@genviz/runtime';

/** The default models' image size (MNIST). */
export const SIDE = 28;
export const PIXELS = SIDE * SIDE;

interface DataTensor {
  name: string;
  shape: number[];
  byteOffset: number;
}
interface DatasetManifest {
  data: Record<string, { file: string; tensors: DataTensor[] }>;
}

/** The held-out digits, [1000, 28, 28] uint8 then [1000] labels. */
export interface HeldOutDigits {
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
}

const digitsByUrl = new Map<string, Promise<HeldOutDigits>>();

/**
 * The real held-out MNIST digits that `@genviz/models` ships beside the default models, found
 * next to the default diffusion model so the runtime's `modelsBaseUrl` applies to them too.
 * Fetched once per page.
 */
export function heldOutDigits(runtime: GenvizRuntime): Promise<HeldOutDigits> {
  const manifestUrl = new URL('../mnist-data/manifest.json', runtime.resolveModel('mnist-ddpm'))
    .href;
  let pending = digitsByUrl.get(manifestUrl);
  if (!pending) {
    pending = (async () => {
      const response = await fetch(manifestUrl);
      if (!response.ok) {
        throw new GenvizError(
          'model-not-found',
          `Could not fetch the held-out digits (${manifestUrl}: HTTP ${response.status}).`,
          { detail: manifestUrl },
        );
      }
      const manifest = (await response.json()) as DatasetManifest;
      const entry = manifest.data['heldout'] ?? Object.values(manifest.data)[0];
      const imagesInfo = entry?.tensors.find((tensor) => tensor.name === 'images');
      const labelsInfo = entry?.tensors.find((tensor) => tensor.name === 'labels');
      if (!entry || !imagesInfo || !labelsInfo) {
        throw new GenvizError('invalid-argument', `${manifestUrl} lists no images and labels.`);
      }
      const file = await fetch(new URL(entry.file, manifestUrl));
      if (!file.ok) {
        throw new GenvizError(
          'model-not-found',
          `Could not fetch ${entry.file}: HTTP ${file.status}.`,
        );
      }
      const bytes = new Uint8Array(await file.arrayBuffer());
      const count = imagesInfo.shape[0] ?? 0;
      return {
        images: bytes.subarray(imagesInfo.byteOffset, imagesInfo.byteOffset + count * PIXELS),
        labels: bytes.subarray(labelsInfo.byteOffset, labelsInfo.byteOffset + count),
        count,
      };
    })();
    digitsByUrl.set(manifestUrl, pending);
    pending.catch(() => digitsByUrl.delete(manifestUrl));
  }
  return pending;
}

/** Held-out digit number `index`, or the first one showing `digit`, as a tensor in [-1, 1]. */
export function pickDigit(
  digits: HeldOutDigits,
  digit: number | null,
): { image: Float32Array; label: number; index: number } {
  let index = 0;
  if (digit !== null) {
    const found = digits.labels.indexOf(digit);
    if (found >= 0) index = found;
  }
  const image = new Float32Array(PIXELS);
  const offset = index * PIXELS;
  for (let i = 0; i < PIXELS; i++) image[i] = (digits.images[offset + i]! / 255) * 2 - 1;
  return { image, label: digits.labels[index]!, index };
}

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
