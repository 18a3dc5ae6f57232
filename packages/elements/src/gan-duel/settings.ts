import type { GanSnapshot } from '@genviz/core';
import type { DeviceOption } from '@genviz/runtime';
import { describeValue } from '../kit/format.js';
import type { GenvizGanDuel } from './gan-duel.js';

/** What `<genviz-gan-duel>` shows. */
export type GanDuelMode =
  'duel' | 'detective' | 'counterfeiter' | 'matrix' | 'history' | 'collapse';
/** Which training run makes the fakes: the healthy GAN or the mode-collapsed one. */
export type GanRun = 'healthy' | 'collapsed';

export const MODES: readonly GanDuelMode[] = [
  'duel',
  'detective',
  'counterfeiter',
  'matrix',
  'history',
  'collapse',
];
export const MODE_LABELS: Readonly<Record<GanDuelMode, string>> = {
  duel: 'The duel',
  detective: 'Play detective',
  counterfeiter: 'Be the counterfeiter',
  matrix: 'Arms race',
  history: 'Training history',
  collapse: 'Mode collapse',
};
export const RUNS: readonly GanRun[] = ['healthy', 'collapsed'];
export const RUN_LABELS: Readonly<Record<GanRun, string>> = {
  healthy: 'Healthy run',
  collapsed: 'Collapsed run',
};
const DEVICES: readonly DeviceOption[] = ['auto', 'webgpu', 'wasm'];
export const MIN_GRID = 2;
export const MAX_GRID = 64;
/** The default generator's digit code: the first 10 latent entries (docs/decisions/0005). */
export const CODE_SIZE = 10;

const wholeIn = (value: number, min: number, max: number) =>
  Number.isInteger(value) && value >= min && value <= max;

/** The public view of a training snapshot (the manifest's, without its files). */
export interface SnapshotInfo {
  readonly index: number;
  readonly epoch: number;
  readonly iteration: number;
  /** The discriminator's mean P(real) on held-out real digits at that point of training. */
  readonly dReal: number;
  /** ... and on fakes of the generator at that point. */
  readonly dFake: number;
}

export const snapshotInfo = (snapshot: GanSnapshot): SnapshotInfo => ({
  index: snapshot.index,
  epoch: snapshot.epoch,
  iteration: snapshot.iteration,
  dReal: snapshot.d_real,
  dFake: snapshot.d_fake,
});

/** Every rejected setting, as a sentence the reader and the page author can act on. */
export function settingsProblems(
  element: GenvizGanDuel,
  snapshots: readonly GanSnapshot[] | undefined,
): string[] {
  const problems: string[] = [];
  const quoted = (attribute: string, value: unknown) => describeValue(element, attribute, value);
  if (!MODES.includes(element.mode)) {
    problems.push(`mode must be ${MODES.join(', ')}, not "${String(element.mode)}".`);
  }
  if (!RUNS.includes(element.run)) {
    problems.push(`run must be healthy or collapsed, not "${String(element.run)}".`);
  }
  if (element.device !== undefined && !DEVICES.includes(element.device)) {
    problems.push(`device must be auto, webgpu or wasm, not "${String(element.device)}".`);
  }
  const seedProblem = seedProblemOf(element);
  if (seedProblem) problems.push(seedProblem);
  if (!wholeIn(element.gridSize, MIN_GRID, MAX_GRID)) {
    problems.push(
      `grid-size must be a whole number from ${MIN_GRID} to ${MAX_GRID}, not ${quoted('grid-size', element.gridSize)}.`,
    );
  }
  const { digit } = element;
  if (digit !== null && !wholeIn(digit, 0, CODE_SIZE - 1)) {
    problems.push(`digit must be 0 to 9 or none, not ${String(digit)}.`);
  }
  const sides = [
    ['snapshot', 'snapshot', element.snapshot],
    ['detective-snapshot', 'detectiveSnapshot', element.detectiveSnapshot],
    ['counterfeiter-snapshot', 'counterfeiterSnapshot', element.counterfeiterSnapshot],
  ] as const;
  for (const [attribute, name, snapshot] of sides) {
    if (snapshot === undefined) continue;
    if (!Number.isInteger(snapshot) || snapshot < 0) {
      problems.push(
        `${attribute} must be a whole number from 0 (or absent), not ${quoted(attribute, snapshot)}.`,
      );
    } else if (snapshots && !snapshots.some((candidate) => candidate.index === snapshot)) {
      const last = snapshots.at(-1)?.index;
      problems.push(
        last === undefined
          ? `The ${element.run} run's model has no training snapshots, so ${attribute} ${snapshot} cannot be shown.`
          : `${attribute} must be from 0 to ${last} for the ${element.run} run, not ${snapshot}.`,
      );
    } else if (
      snapshots &&
      name === 'detectiveSnapshot' &&
      !snapshots.find((candidate) => candidate.index === snapshot)?.discriminatorVariants
    ) {
      problems.push(
        `The ${element.run} run's model kept no discriminator at snapshot ${snapshot}, so ${attribute} cannot pick the detective.`,
      );
    }
  }
  return problems;
}

export function seedProblemOf(element: GenvizGanDuel): string | undefined {
  const { seed } = element;
  if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) {
    return `seed must be a whole number from 0 to 4294967295, not ${describeValue(element, 'seed', seed)}.`;
  }
  return undefined;
}

/**
 * The pairing the duel opens on for the healthy run when no snapshot is set: the detective and
 * the counterfeiter after 1 epoch, where the detective clearly wins; one step of the
 * counterfeiter's slider (epoch 2) fools that detective. Chosen from the measured matrix (see
 * the model card of mnist-dcgan).
 */
export const DEFAULT_PAIRING = { detective: 1, counterfeiter: 1 } as const;

/** Which snapshots face each other: undefined on a side means the final network. */
export interface Pairing {
  readonly run: GanRun;
  readonly detective: number | undefined;
  readonly counterfeiter: number | undefined;
}

/**
 * The pairing of the element's settings: `detective-snapshot` and `counterfeiter-snapshot`
 * where set, else `snapshot` for both, else (healthy run, with a history that kept the
 * discriminators) DEFAULT_PAIRING, else the final networks.
 */
export function pairingOf(
  element: GenvizGanDuel,
  snapshots: readonly GanSnapshot[] | undefined,
): Pairing {
  // Before the manifest is in, the default model's history is assumed (it has both).
  const judgeAt = (index: number) =>
    snapshots ? snapshots.some((s) => s.index === index && s.discriminatorVariants) : true;
  const has = (index: number) => snapshots?.some((s) => s.index === index) ?? true;
  const fallback =
    element.run === 'healthy' &&
    judgeAt(DEFAULT_PAIRING.detective) &&
    has(DEFAULT_PAIRING.counterfeiter)
      ? DEFAULT_PAIRING
      : { detective: undefined, counterfeiter: undefined };
  const shared = element.snapshot;
  // `snapshot` alone picks both sides; a history without discriminators judges with the final one.
  const sharedJudge = shared === undefined || !judgeAt(shared) ? undefined : shared;
  return {
    run: element.run,
    detective:
      element.detectiveSnapshot ?? (shared === undefined ? fallback.detective : sharedJudge),
    counterfeiter: element.counterfeiterSnapshot ?? shared ?? fallback.counterfeiter,
  };
}
