import type { GenvizRuntime, HeldOutDigits } from '@genviz/runtime';
import type { FeedbackController } from '../kit/feedback-controller.js';
import { describeValue } from '../kit/format.js';
import type { GenvizLatentExplorer } from './latent-explorer.js';

/** What the explorer shows beside its map. */
export type ExplorerView = 'map' | 'grid' | 'draw' | 'interpolate' | 'sample' | 'flow';
export type Interpolation = 'linear' | 'spherical';

export const VIEWS: readonly ExplorerView[] = [
  'map',
  'grid',
  'draw',
  'interpolate',
  'sample',
  'flow',
];
export const VIEW_LABELS: Readonly<Record<ExplorerView, string>> = {
  map: 'Map',
  grid: 'Grid',
  draw: 'Draw your own',
  interpolate: 'Interpolate',
  sample: 'Sample and blur',
  flow: 'Diffusion flow',
};
const DEVICES = ['auto', 'webgpu', 'wasm'];
export const MAX_GRID = 30;
/** The handle's largest coordinate: the widest map (`extent` 100) reaches it. */
export const MAX_COORDINATE = 100;

/** The map's data: the held-out digits' codes (x, y pairs) and labels, and the digits. */
export interface ExplorerData {
  readonly xy: Float32Array;
  readonly labels: Uint8Array;
  readonly digits: HeldOutDigits;
}

/** Neighbours that vote on the class near a point. */
const NEIGHBOURS = 5;

/** The class most of the 5 held-out digits nearest (x, y) belong to. */
export function nearestClass(data: ExplorerData, x: number, y: number): number {
  const best: { distance: number; label: number }[] = [];
  for (let i = 0; i < data.labels.length; i++) {
    const distance = (data.xy[2 * i]! - x) ** 2 + (data.xy[2 * i + 1]! - y) ** 2;
    if (best.length < NEIGHBOURS || distance < best[best.length - 1]!.distance) {
      best.push({ distance, label: data.labels[i]! });
      best.sort((a, b) => a.distance - b.distance);
      if (best.length > NEIGHBOURS) best.pop();
    }
  }
  const votes = new Array<number>(10).fill(0);
  for (const { label } of best) votes[label]! += 1;
  // Ties go to the class of the nearest digit.
  let winner = best[0]!.label;
  for (let k = 0; k < 10; k++) if (votes[k]! > votes[winner]!) winner = k;
  return winner;
}

/** Every rejected setting, as a sentence. */
export function explorerProblems(element: GenvizLatentExplorer): string[] {
  const problems: string[] = [];
  const quoted = (attribute: string, value: unknown) => describeValue(element, attribute, value);
  if (!VIEWS.includes(element.view)) {
    problems.push(`view must be one of ${VIEWS.join(', ')}, not "${String(element.view)}".`);
  }
  if (element.device !== undefined && !DEVICES.includes(element.device)) {
    problems.push(`device must be auto, webgpu or wasm, not "${String(element.device)}".`);
  }
  const { gridSize } = element;
  if (!Number.isInteger(gridSize) || gridSize < 2 || gridSize > MAX_GRID) {
    problems.push(
      `grid-size must be a whole number from 2 to ${MAX_GRID}, not ${quoted('grid-size', gridSize)}.`,
    );
  }
  if (!Number.isFinite(element.extent) || element.extent <= 0 || element.extent > 100) {
    problems.push(
      `extent must be a number above 0 (and at most 100), not ${quoted('extent', element.extent)}.`,
    );
  }
  for (const axis of ['x', 'y'] as const) {
    const value = element[axis];
    if (!Number.isFinite(value) || Math.abs(value) > MAX_COORDINATE) {
      problems.push(
        `${axis} must be a number from -${MAX_COORDINATE} to ${MAX_COORDINATE}, not ${quoted(axis, value)}.`,
      );
    }
  }
  const { seed } = element;
  if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) {
    problems.push(`seed must be a whole number from 0 to 4294967295, not ${quoted('seed', seed)}.`);
  }
  if (!['linear', 'spherical'].includes(element.interpolation)) {
    problems.push(
      `interpolation must be linear or spherical, not "${String(element.interpolation)}".`,
    );
  }
  return problems;
}

/** What the views need from the element. */
export interface ExplorerServices {
  readonly runtime: () => GenvizRuntime;
  readonly feedback: FeedbackController;
  /** The map's data, once loaded. */
  readonly data: () => ExplorerData | undefined;
  /** Moves the handle there: fires input, and change unless `commit` is false (a drag goes on). */
  readonly moveTo: (x: number, y: number, commit?: boolean) => void;
}
