// Encodes an animation off the main thread: a GIF with gifenc, a WebM (VP9, else VP8) through
// WebCodecs with mediabunny. Frames arrive at the model's pixel size and are scaled up here by
// a whole factor, nearest neighbour, so that each model pixel stays a crisp square.
import { GIFEncoder, applyPalette, quantize } from 'gifenc';
import {
  BufferTarget,
  Output,
  QUALITY_HIGH,
  VideoSample,
  VideoSampleSource,
  WebMOutputFormat,
  canEncodeVideo,
} from 'mediabunny';
import type { EncodeRequest, EncodeResponse } from './animation-protocol.js';

function scaleUp(rgba: Uint8Array, width: number, height: number, scale: number): Uint8Array {
  if (scale === 1) return rgba;
  const outWidth = width * scale;
  const out = new Uint8Array(outWidth * height * scale * 4);
  const pixels = new Uint32Array(rgba.buffer, rgba.byteOffset, width * height);
  const outPixels = new Uint32Array(out.buffer);
  for (let y = 0; y < height; y++) {
    const row = y * scale * outWidth;
    for (let x = 0; x < width; x++) {
      const value = pixels[y * width + x]!;
      const start = row + x * scale;
      outPixels.fill(value, start, start + scale);
    }
    for (let copy = 1; copy < scale; copy++)
      outPixels.copyWithin(row + copy * outWidth, row, row + outWidth);
  }
  return out;
}

function encodeGif(request: EncodeRequest): Uint8Array {
  const width = request.width * request.scale;
  const height = request.height * request.scale;
  const gif = GIFEncoder();
  request.frames.forEach((buffer, i) => {
    // Palettes come from the small frame (the scaled one has the same colours).
    const small = new Uint8Array(buffer);
    const palette = quantize(small, 256);
    const index = applyPalette(
      scaleUp(small, request.width, request.height, request.scale),
      palette,
    );
    gif.writeFrame(index, width, height, { palette, delay: request.delays[i] ?? 100 });
  });
  gif.finish();
  return gif.bytes();
}

async function encodeWebm(request: EncodeRequest): Promise<ArrayBuffer> {
  if (typeof VideoEncoder === 'undefined')
    throw new Error(
      'This browser cannot encode video: it has no WebCodecs VideoEncoder. Save a GIF instead.',
    );
  const width = request.width * request.scale;
  const height = request.height * request.scale;
  const options = { width, height, bitrate: QUALITY_HIGH };
  const codec = (await canEncodeVideo('vp9', options))
    ? 'vp9'
    : (await canEncodeVideo('vp8', options))
      ? 'vp8'
      : undefined;
  if (!codec)
    throw new Error(
      `This browser cannot encode VP9 or VP8 video at ${width}x${height}. Save a GIF instead.`,
    );
  const output = new Output({ format: new WebMOutputFormat(), target: new BufferTarget() });
  const source = new VideoSampleSource({ codec, bitrate: QUALITY_HIGH, keyFrameInterval: 2 });
  output.addVideoTrack(source);
  await output.start();
  let timestamp = 0;
  for (const [i, buffer] of request.frames.entries()) {
    const duration = (request.delays[i] ?? 100) / 1000;
    const sample = new VideoSample(
      scaleUp(new Uint8Array(buffer), request.width, request.height, request.scale),
      { format: 'RGBA', codedWidth: width, codedHeight: height, timestamp, duration },
    );
    try {
      await source.add(sample);
    } finally {
      sample.close();
    }
    timestamp += duration;
  }
  await output.finalize();
  return output.target.buffer!;
}

self.addEventListener('message', (event: MessageEvent<EncodeRequest>) => {
  const request = event.data;
  void (async () => {
    let response: EncodeResponse;
    const transfer: Transferable[] = [];
    try {
      let bytes: ArrayBuffer;
      if (request.format === 'gif') {
        const encoded = encodeGif(request);
        bytes = encoded.buffer.slice(
          encoded.byteOffset,
          encoded.byteOffset + encoded.byteLength,
        ) as ArrayBuffer;
      } else {
        bytes = await encodeWebm(request);
      }
      transfer.push(bytes);
      response = {
        id: request.id,
        ok: true,
        bytes,
        type: request.format === 'gif' ? 'image/gif' : 'video/webm',
      };
    } catch (error) {
      response = {
        id: request.id,
        ok: false,
        message: error instanceof Error ? error.message : String(error),
      };
    }
    self.postMessage(response, { transfer });
  })();
});
