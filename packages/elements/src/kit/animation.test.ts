import { GenvizRuntime } from '@genviz/runtime';
import { html } from 'lit';
import { ALL_FORMATS, BlobSource, EncodedPacketSink, Input } from 'mediabunny';
import { afterAll, afterEach, describe, expect, test, vi } from 'vitest';
import { userEvent } from 'vitest/browser';
import '../define.js';
import type { GenvizDiffusionStepper } from '../diffusion-stepper/diffusion-stepper.js';
import type { GenvizGanDuel } from '../gan-duel/gan-duel.js';
import type { GenvizLatentExplorer } from '../latent-explorer/latent-explorer.js';
import { mount, once, part, unmountAll } from '../testing/dom.js';

// Saved animations: a GIF (gifenc) and a WebM (WebCodecs through mediabunny), encoded in the
// elements' animation worker, from the default models in the runtime's worker on WASM.

const runtime = new GenvizRuntime({ idleTimeoutMs: 120_000, device: 'wasm' });
afterAll(() => runtime.terminate());
afterEach(() => unmountAll());

/** Model work on a loaded 2-core machine: bounded by the work, not by a short clock. */
const MODEL_WORK = { timeout: 240_000, interval: 50 };

interface GifFrame {
  left: number;
  top: number;
  width: number;
  height: number;
  delayMs: number;
}

/**
 * Walks a GIF's blocks (GIF89a: header, logical screen, optional global colour table, then
 * extensions 0x21, image descriptors 0x2C and the trailer 0x3B) and lists its frames.
 */
function gifFrames(bytes: Uint8Array): { width: number; height: number; frames: GifFrame[] } {
  const text = String.fromCharCode(...bytes.subarray(0, 6));
  if (text !== 'GIF89a' && text !== 'GIF87a') throw new Error(`not a GIF: ${text}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const width = view.getUint16(6, true);
  const height = view.getUint16(8, true);
  const screenFlags = bytes[10]!;
  let at = 13 + (screenFlags & 0x80 ? 3 * 2 ** ((screenFlags & 7) + 1) : 0);
  const skipSubBlocks = () => {
    while (bytes[at] !== 0) {
      if (at >= bytes.length) throw new Error('GIF ends inside a block');
      at += bytes[at]! + 1;
    }
    at += 1;
  };
  const frames: GifFrame[] = [];
  let delayMs = 0;
  for (;;) {
    const introducer = bytes[at];
    if (introducer === 0x3b) break;
    if (introducer === 0x21) {
      const label = bytes[at + 1];
      if (label === 0xf9) delayMs = view.getUint16(at + 4, true) * 10;
      at += 2;
      skipSubBlocks();
    } else if (introducer === 0x2c) {
      const flags = bytes[at + 9]!;
      frames.push({
        left: view.getUint16(at + 1, true),
        top: view.getUint16(at + 3, true),
        width: view.getUint16(at + 5, true),
        height: view.getUint16(at + 7, true),
        delayMs,
      });
      at += 10 + (flags & 0x80 ? 3 * 2 ** ((flags & 7) + 1) : 0);
      at += 1; // LZW minimum code size
      skipSubBlocks();
    } else {
      throw new Error(`unexpected GIF block 0x${introducer?.toString(16)} at ${at}`);
    }
  }
  return { width, height, frames };
}

async function sampledStepper(steps: number): Promise<GenvizDiffusionStepper> {
  const element = await mount<GenvizDiffusionStepper>(
    html`<genviz-diffusion-stepper
      .runtime=${runtime}
      mode="reverse"
      scheduler="ddim"
      steps=${steps}
      digit="3"
      seed="4"
    ></genviz-diffusion-stepper>`,
    'genviz-diffusion-stepper',
  );
  const complete = once(element, 'genviz-complete');
  element.play();
  await complete;
  await element.updateComplete;
  return element;
}

describe('<genviz-diffusion-stepper> animations', () => {
  test('Save GIF saves the reverse trajectory, one frame per step, crisp and named after it', async () => {
    const element = await sampledStepper(12);
    expect(element.trajectory).toHaveLength(12);
    const saved = once(element, 'genviz-save');
    await userEvent.click(part(element, 'save-gif-button')!);
    const { blob, fileName } = await saved;
    expect(fileName).toBe('genviz-diffusion-stepper-mnist-ddpm-reverse-seed-4-steps-12.gif');
    expect(blob.type).toBe('image/gif');
    const bytes = new Uint8Array(await blob.arrayBuffer());
    const gif = gifFrames(bytes);
    expect(gif.frames).toHaveLength(element.trajectory.length);
    expect([gif.width, gif.height]).toEqual([224, 224]); // 28 x 28 at 8x
    expect(gif.frames.every((frame) => frame.width === 224 && frame.height === 224)).toBe(true);
    expect(gif.frames.at(-1)!.delayMs).toBeGreaterThan(gif.frames[0]!.delayMs); // held at the end

    // Decoded by the browser, the last frame is the element's final x_t, each model pixel an
    // 8x8 square of one grey (the GIF's palette is quantized: within a few levels).
    const decoder = new ImageDecoder({ data: bytes, type: 'image/gif' });
    await decoder.tracks.ready;
    expect(decoder.tracks.selectedTrack!.frameCount).toBe(12);
    const { image } = await decoder.decode({ frameIndex: 11 });
    const canvas = new OffscreenCanvas(224, 224);
    const context = canvas.getContext('2d')!;
    context.drawImage(image, 0, 0);
    image.close();
    decoder.close();
    const gifPixels = context.getImageData(0, 0, 224, 224).data;
    const shown = part(element, 'panel-sample') as HTMLCanvasElement;
    const expected = shown.getContext('2d')!.getImageData(0, 0, 28, 28).data;
    let largest = 0;
    for (let y = 0; y < 28; y++) {
      for (let x = 0; x < 28; x++) {
        const value = expected[(y * 28 + x) * 4]!;
        const corner = gifPixels[(y * 8 * 224 + x * 8) * 4]!;
        const opposite = gifPixels[((y * 8 + 7) * 224 + x * 8 + 7) * 4]!;
        expect(opposite).toBe(corner);
        largest = Math.max(largest, Math.abs(corner - value));
      }
    }
    expect(largest).toBeLessThanOrEqual(8);
  });

  test.runIf(typeof VideoEncoder !== 'undefined')(
    'Save video saves a WebM that decodes: one frame per step, 224 x 224',
    async () => {
      const element = await sampledStepper(10);
      const saved = once(element, 'genviz-save');
      await userEvent.click(part(element, 'save-video-button')!);
      const { blob, fileName } = await saved;
      expect(fileName).toBe('genviz-diffusion-stepper-mnist-ddpm-reverse-seed-4-steps-10.webm');
      expect(blob.type).toBe('video/webm');

      const input = new Input({ source: new BlobSource(blob), formats: ALL_FORMATS });
      expect(await input.getMimeType()).toMatch(/^video\/webm/);
      const track = (await input.getPrimaryVideoTrack())!;
      expect([track.displayWidth, track.displayHeight]).toEqual([224, 224]);
      // The last frame starts at 9 x 0.1 s (WebM blocks carry start times, not durations).
      expect(await input.computeDuration()).toBeCloseTo(0.9, 2);
      let packets = 0;
      for await (const packet of new EncodedPacketSink(track).packets()) {
        expect(packet.byteLength).toBeGreaterThan(0);
        packets += 1;
      }
      expect(packets).toBe(10);

      // And a <video> element reads it.
      const video = document.createElement('video');
      video.muted = true;
      const metadata = new Promise((resolve, reject) => {
        video.addEventListener('loadedmetadata', resolve, { once: true });
        video.addEventListener('error', () => reject(new Error('the video does not load')), {
          once: true,
        });
      });
      video.src = URL.createObjectURL(blob);
      await metadata;
      expect(video.videoWidth).toBe(224);
      URL.revokeObjectURL(video.src);
    },
  );

  test.runIf(typeof VideoEncoder === 'undefined')(
    'without WebCodecs, the video button says so and saveAnimation("webm") refuses',
    async () => {
      const element = await sampledStepper(4);
      const button = part(element, 'save-video-button') as HTMLButtonElement;
      expect(button.disabled).toBe(true);
      expect(button.title).toMatch(/no WebCodecs/);
      await expect(element.saveAnimation('webm')).rejects.toThrow(/no WebCodecs/);
    },
  );

  test('the forward process saves x_t for t = 0, 20, ..., 1000', async () => {
    const element = await mount<GenvizDiffusionStepper>(
      html`<genviz-diffusion-stepper
        .runtime=${runtime}
        mode="forward"
        seed="5"
      ></genviz-diffusion-stepper>`,
      'genviz-diffusion-stepper',
    );
    await vi.waitFor(() => expect(part(element, 'save-gif-button')).toBeTruthy(), MODEL_WORK);
    const blob = await element.saveAnimation('gif');
    expect(gifFrames(new Uint8Array(await blob.arrayBuffer())).frames).toHaveLength(51);
  });

  test('there is no animation before a trajectory, and an unknown format is refused', async () => {
    const element = await mount<GenvizDiffusionStepper>(
      html`<genviz-diffusion-stepper
        .runtime=${runtime}
        mode="reverse"
        loading="lazy"
      ></genviz-diffusion-stepper>`,
      'genviz-diffusion-stepper',
    );
    expect(part(element, 'save-gif-button')).toBeFalsy();
    await expect(element.saveAnimation('gif')).rejects.toThrow(/no trajectory to save yet/);
    await expect(element.saveAnimation('avi' as 'gif')).rejects.toThrow(/use "gif" or "webm"/);
  });
});

describe('<genviz-gan-duel> animations', () => {
  test('Save GIF saves the training history: one frame per snapshot, the 16 fakes in a grid', async () => {
    const element = await mount<GenvizGanDuel>(
      html`<genviz-gan-duel .runtime=${runtime} mode="history" seed="2"></genviz-gan-duel>`,
      'genviz-gan-duel',
    );
    await vi.waitFor(() => expect(part(element, 'save-gif-button')).toBeTruthy(), MODEL_WORK);
    const snapshots = element.snapshots.length;
    expect(snapshots).toBeGreaterThan(1);
    const saved = once(element, 'genviz-save');
    await userEvent.click(part(element, 'save-gif-button')!);
    const { blob, fileName } = await saved;
    expect(fileName).toBe(`genviz-gan-duel-mnist-dcgan-history-seed-2-snapshots-${snapshots}.gif`);
    const gif = gifFrames(new Uint8Array(await blob.arrayBuffer()));
    expect(gif.frames).toHaveLength(snapshots);
    // 4 x 4 digits of 28 with 2-pixel gaps: 118 pixels, at 2x.
    expect([gif.width, gif.height]).toEqual([236, 236]);
  });

  test('the other modes have no animation', async () => {
    const element = await mount<GenvizGanDuel>(
      html`<genviz-gan-duel loading="lazy" mode="duel"></genviz-gan-duel>`,
      'genviz-gan-duel',
    );
    expect(part(element, 'save-gif-button')).toBeFalsy();
    await expect(element.saveAnimation('gif')).rejects.toThrow(/training history has one/);
  });
});

describe('<genviz-latent-explorer> animations', () => {
  test("the interpolation saves 41 images from A to B; its first is the strip's first", async () => {
    const element = await mount<GenvizLatentExplorer>(
      html`<genviz-latent-explorer
        .runtime=${runtime}
        view="interpolate"
      ></genviz-latent-explorer>`,
      'genviz-latent-explorer',
    );
    await vi.waitFor(() => expect(part(element, 'save-gif-button')).toBeTruthy(), MODEL_WORK);
    const saved = once(element, 'genviz-save');
    await userEvent.click(part(element, 'save-gif-button')!);
    const { blob, fileName } = await saved;
    expect(fileName).toBe(
      'genviz-latent-explorer-mnist-vae-interpolate-linear-seed-0-frames-41.gif',
    );
    const bytes = new Uint8Array(await blob.arrayBuffer());
    const gif = gifFrames(bytes);
    expect(gif.frames).toHaveLength(41);
    expect([gif.width, gif.height]).toEqual([224, 224]);

    const decoder = new ImageDecoder({ data: bytes, type: 'image/gif' });
    const { image } = await decoder.decode({ frameIndex: 0 });
    const canvas = new OffscreenCanvas(224, 224);
    const context = canvas.getContext('2d')!;
    context.drawImage(image, 0, 0);
    image.close();
    decoder.close();
    const first = context.getImageData(0, 0, 224, 224).data;
    const strip = part(element, 'strip') as HTMLCanvasElement;
    const shown = strip.getContext('2d')!.getImageData(0, 0, 28, 28).data;
    let largest = 0;
    for (let y = 0; y < 28; y++)
      for (let x = 0; x < 28; x++)
        largest = Math.max(
          largest,
          Math.abs(first[(y * 8 * 224 + x * 8) * 4]! - shown[(y * 28 + x) * 4]!),
        );
    expect(largest).toBeLessThanOrEqual(8);
  });

  test('the flow saves one frame per step: the cloud beside the followed digit', async () => {
    const element = await mount<GenvizLatentExplorer>(
      html`<genviz-latent-explorer
        .runtime=${runtime}
        view="flow"
        seed="2"
      ></genviz-latent-explorer>`,
      'genviz-latent-explorer',
    );
    await vi.waitFor(() => expect(part(element, 'save-gif-button')).toBeTruthy(), MODEL_WORK);
    expect(element.flowSteps).toHaveLength(50);
    const gif = gifFrames(new Uint8Array(await (await element.saveAnimation('gif')).arrayBuffer()));
    expect(gif.frames).toHaveLength(50);
    expect([gif.width, gif.height]).toEqual([452, 224]);
  });
});
