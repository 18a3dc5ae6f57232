/** The messages between the animation controller and its worker (`animation-worker.ts`). */

export type AnimationFormat = 'gif' | 'webm';

export interface EncodeRequest {
  readonly id: number;
  readonly format: AnimationFormat;
  /** Frame size at the model's pixel size. */
  readonly width: number;
  readonly height: number;
  /** Whole-pixel scale: each model pixel becomes a `scale` x `scale` square. */
  readonly scale: number;
  /** Each frame's RGBA bytes (`width * height * 4`), transferred. */
  readonly frames: readonly ArrayBuffer[];
  /** How long each frame shows, ms. */
  readonly delays: readonly number[];
}

export type EncodeResponse =
  | { readonly id: number; readonly ok: true; readonly bytes: ArrayBuffer; readonly type: string }
  | { readonly id: number; readonly ok: false; readonly message: string };
