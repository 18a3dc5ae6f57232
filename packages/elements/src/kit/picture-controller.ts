import { html } from 'lit';
import type { ReactiveController, ReactiveControllerHost, TemplateResult } from 'lit';
import { GenvizSaveEvent } from './events.js';
import { emit } from './format.js';

type Host = ReactiveControllerHost & HTMLElement;

export interface PictureOptions {
  /** The file name without extension: element, model, seed, steps (`genviz-stepper-mnist-ddpm-seed-3`). */
  readonly fileName: () => string;
  /** The caption under the images: what was shown, as the `state` string says it. */
  readonly caption: () => string;
}

/** Each image is drawn at least this many pixels on its longer side, in whole-pixel multiples. */
const MIN_SIDE = 224;
const COLUMNS = 8;
const GAP = 8;
const CAPTION_FONT_PX = 14;

/**
 * Saves what an element shows as a PNG: every visible pixel canvas of its shadow root (the
 * `.pixels` canvases: digits, noise, grids), each scaled up by a whole factor without smoothing
 * so that one model pixel is a crisp square, tiled in reading order, with a caption of the state.
 * `save()` gives the Blob; `download()` also offers it as a file and fires `genviz-save`.
 */
export class PictureController implements ReactiveController {
  readonly #host: Host;
  readonly #options: PictureOptions;

  constructor(host: Host, options: PictureOptions) {
    this.#host = host;
    this.#options = options;
    host.addController(this);
  }

  hostConnected(): void {}

  /** The visible images, in document order. */
  #canvases(): HTMLCanvasElement[] {
    const root = this.#host.shadowRoot;
    if (!root) return [];
    return [...root.querySelectorAll<HTMLCanvasElement>('canvas.pixels')].filter(
      (canvas) => canvas.width > 0 && canvas.height > 0 && canvas.getClientRects().length > 0,
    );
  }

  /** The PNG. Rejects when the element shows no image yet. */
  async save(): Promise<Blob> {
    const canvases = this.#canvases();
    if (canvases.length === 0) throw new Error('There is no image to save yet.');
    const scales = canvases.map((c) =>
      Math.max(1, Math.ceil(MIN_SIDE / Math.max(c.width, c.height))),
    );
    const cellWidth = Math.max(...canvases.map((c, i) => c.width * scales[i]!));
    const cellHeight = Math.max(...canvases.map((c, i) => c.height * scales[i]!));
    const columns = Math.min(COLUMNS, canvases.length);
    const rows = Math.ceil(canvases.length / columns);
    const width = Math.max(columns * cellWidth + (columns + 1) * GAP, 320);
    const measure = new OffscreenCanvas(1, 1).getContext('2d')!;
    measure.font = `${CAPTION_FONT_PX}px sans-serif`;
    const lines = wrap(measure, this.#options.caption(), width - 2 * GAP);
    const captionHeight = lines.length * (CAPTION_FONT_PX + 4) + GAP;
    const height = rows * cellHeight + (rows + 1) * GAP + captionHeight;

    const out = new OffscreenCanvas(width, height);
    const context = out.getContext('2d')!;
    context.fillStyle = '#ffffff';
    context.fillRect(0, 0, width, height);
    context.imageSmoothingEnabled = false;
    canvases.forEach((canvas, i) => {
      const x = GAP + (i % columns) * (cellWidth + GAP);
      const y = GAP + Math.floor(i / columns) * (cellHeight + GAP);
      context.drawImage(canvas, x, y, canvas.width * scales[i]!, canvas.height * scales[i]!);
    });
    context.fillStyle = '#1b1b22';
    context.font = `${CAPTION_FONT_PX}px sans-serif`;
    context.textBaseline = 'top';
    lines.forEach((line, i) =>
      context.fillText(line, GAP, rows * (cellHeight + GAP) + GAP + i * (CAPTION_FONT_PX + 4)),
    );
    return out.convertToBlob({ type: 'image/png' });
  }

  /** Saves the PNG as a download named after what it shows, and fires `genviz-save`. */
  async download(): Promise<GenvizSaveEvent> {
    const blob = await this.save();
    const fileName = `${this.#options.fileName()}.png`;
    const url = URL.createObjectURL(blob);
    const link = document.createElement('a');
    link.href = url;
    link.download = fileName;
    link.click();
    // The download has its own reference once started.
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    const event = new GenvizSaveEvent(blob, fileName);
    emit(this.#host, event);
    return event;
  }

  renderButton(): TemplateResult {
    return html`<button
      part="button save-button"
      type="button"
      @click=${() => void this.download().catch(() => undefined)}
    >
      Save picture
    </button>`;
  }
}

/** Greedy word wrap for canvas text; long unbroken runs (a state string) break at `;`. */
function wrap(context: OffscreenCanvasRenderingContext2D, text: string, width: number): string[] {
  const words = text.split(/(?<=[;\s])/);
  const lines: string[] = [];
  let line = '';
  for (const word of words) {
    if (line !== '' && context.measureText(line + word).width > width) {
      lines.push(line.trimEnd());
      line = '';
    }
    line += word;
  }
  if (line.trim() !== '') lines.push(line.trimEnd());
  return lines;
}

/** A model reference (a default id, or a manifest URL) as a file name part: its folder's name. */
export const modelNamePart = (model: string): string =>
  fileNamePart(
    model
      .replace(/\/manifest\.json$/, '')
      .split('/')
      .pop() ?? model,
  );

/** A file name part: lower case, digits and dashes. */
export const fileNamePart = (value: unknown): string =>
  String(value)
    .toLowerCase()
    .replace(/[^a-z0-9.]+/g, '-')
    .replace(/^-+|-+$/g, '');
