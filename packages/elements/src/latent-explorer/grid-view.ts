import { latentGrid } from '@genviz/core';
import { html } from 'lit';
import type { TemplateResult } from 'lit';
import { cssomStyle } from '../kit/cssom-style.js';
import { drawTensor } from '../kit/draw.js';
import { RunController } from '../kit/run-controller.js';
import type { GenvizLatentExplorer } from './latent-explorer.js';
import type { ExplorerServices } from './settings.js';

interface Grid {
  size: number;
  extent: number;
  /** The grid as one image, (size * 28)^2, in [-1, 1] for drawTensor. */
  image: Float32Array;
}

const SIDE = 28;

/**
 * The decoder over a grid of the latent plane, in one batched call: the classic picture of a
 * VAE's manifold, with the cell under the handle marked. Clicking a cell moves the handle there.
 */
export class GridView {
  readonly run: RunController<Grid>;
  readonly #host: GenvizLatentExplorer;
  readonly #services: ExplorerServices;
  readonly #painted = new WeakMap<HTMLCanvasElement, Grid>();

  constructor(host: GenvizLatentExplorer, services: ExplorerServices) {
    this.#host = host;
    this.#services = services;
    this.run = new RunController<Grid>(host, { onError: services.feedback.report });
  }

  get error(): unknown {
    return this.run.status === 'error' ? this.run.error : undefined;
  }

  reset(): void {
    this.run.reset();
  }

  start(): void {
    if (this.run.status === 'initial') void this.run.run((signal) => this.#compute(signal));
  }

  /** Latents of the grid's cells, row by row from the top (largest y). */
  static latents(size: number, extent: number): Float32Array {
    const range = { min: -extent, max: extent };
    return latentGrid(new Float32Array(size * size * 2), size, size, range, range);
  }

  async #compute(signal: AbortSignal): Promise<Grid> {
    const { gridSize: size, extent } = this.#host;
    const images = await this.#services.runtime().vae.decode(GridView.latents(size, extent), {
      model: this.#host.model,
      device: this.#host.device,
      signal,
    });
    const width = size * SIDE;
    const image = new Float32Array(width * width);
    for (let cell = 0; cell < size * size; cell++) {
      const row = Math.floor(cell / size);
      const col = cell % size;
      for (let py = 0; py < SIDE; py++) {
        for (let px = 0; px < SIDE; px++) {
          image[(row * SIDE + py) * width + col * SIDE + px] =
            images[cell * SIDE * SIDE + py * SIDE + px]! * 2 - 1;
        }
      }
    }
    return { size, extent, image };
  }

  /** The cell (row, column) nearest the handle. */
  #cell(grid: Grid): [number, number] {
    const { size, extent } = grid;
    const at = (value: number) =>
      Math.max(0, Math.min(size - 1, Math.round(((value + extent) / (2 * extent)) * (size - 1))));
    return [size - 1 - at(this.#host.y), at(this.#host.x)];
  }

  draw(root: ParentNode): void {
    const canvas = root.querySelector<HTMLCanvasElement>('[part~="grid"]');
    const grid = this.run.value;
    if (!canvas || !grid || this.#painted.get(canvas) === grid) return;
    drawTensor(canvas, grid.image);
    this.#painted.set(canvas, grid);
  }

  #onClick = (event: MouseEvent) => {
    const grid = this.run.value;
    if (!grid) return;
    const box = (event.currentTarget as HTMLElement).getBoundingClientRect();
    const col = Math.floor(((event.clientX - box.left) / box.width) * grid.size);
    const row = Math.floor(((event.clientY - box.top) / box.height) * grid.size);
    const latents = GridView.latents(grid.size, grid.extent);
    const k = (Math.min(row, grid.size - 1) * grid.size + Math.min(col, grid.size - 1)) * 2;
    this.#services.moveTo(latents[k]!, latents[k + 1]!);
  };

  render(): TemplateResult {
    const grid = this.run.value;
    const size = grid?.size ?? this.#host.gridSize;
    const [row, col] = grid ? this.#cell(grid) : [-1, -1];
    return html`<figure class="grid">
      <div class="grid-frame">
        <canvas
          part="grid"
          class="pixels"
          width=${size * SIDE}
          height=${size * SIDE}
          role="img"
          aria-label="The decoder's output over a ${size} by ${size} grid of the latent plane, from ${-this.#host.extent} to ${this.#host.extent} on both axes"
          @click=${this.#onClick}
        ></canvas>
        ${
          grid
            ? html`<div
                part="grid-cell"
                style=${cssomStyle({
                  'inline-size': `${100 / size}%`,
                  'block-size': `${100 / size}%`,
                  left: `${(100 * col) / size}%`,
                  top: `${(100 * row) / size}%`,
                })}
              ></div>`
            : html``
        }
      </div>
      <figcaption>
        ${grid ? `${size * size} images decoded in one call.` : 'Decoding the grid…'} The outlined
        cell is under the handle; click a cell to go there.
      </figcaption>
    </figure>`;
  }
}
