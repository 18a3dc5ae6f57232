import type { GanDuelMode, GanRun, SnapshotInfo } from './settings.js';

export { GenvizErrorEvent, GenvizModelProgressEvent } from '../kit/events.js';

const init: EventInit = { bubbles: true, composed: true };

/** One image of a round, as revealed. */
export interface RoundCellResult {
  /** A held-out real digit (true) or a generator fake (false). */
  readonly real: boolean;
  /** The discriminator's P(real). */
  readonly verdict: number;
  /** Whether the reader marked it real (detective mode; null in the duel, where nobody marks). */
  readonly markedReal: boolean | null;
}

/** A round was revealed: how the reader (in detective mode) and the discriminator did. */
export class GenvizRoundEvent extends Event {
  static readonly eventName = 'genviz-round' as const;
  readonly mode: GanDuelMode;
  readonly run: GanRun;
  readonly seed: number;
  readonly cells: readonly RoundCellResult[];
  /** The reader's share of right calls (0-1), or null when the reader did not play (the duel). */
  readonly readerScore: number | null;
  /** The discriminator's share of right calls (P(real) >= 0.5 called real), 0-1. */
  readonly discriminatorScore: number;

  constructor(
    mode: GanDuelMode,
    run: GanRun,
    seed: number,
    cells: readonly RoundCellResult[],
    readerScore: number | null,
    discriminatorScore: number,
  ) {
    super(GenvizRoundEvent.eventName, init);
    this.mode = mode;
    this.run = run;
    this.seed = seed;
    this.cells = cells;
    this.readerScore = readerScore;
    this.discriminatorScore = discriminatorScore;
  }
}

/** The history now shows the fakes of another training snapshot. */
export class GenvizSnapshotEvent extends Event {
  static readonly eventName = 'genviz-snapshot' as const;
  readonly run: GanRun;
  readonly snapshot: SnapshotInfo;

  constructor(run: GanRun, snapshot: SnapshotInfo) {
    super(GenvizSnapshotEvent.eventName, init);
    this.run = run;
    this.snapshot = snapshot;
  }
}

/** The discriminator judged the reader's drawing (counterfeiter mode, or `judge()`). */
export class GenvizVerdictEvent extends Event {
  static readonly eventName = 'genviz-verdict' as const;
  /** The discriminator's P(real) for the drawing. */
  readonly verdict: number;
  readonly image: Float32Array;

  constructor(verdict: number, image: Float32Array) {
    super(GenvizVerdictEvent.eventName, init);
    this.verdict = verdict;
    this.image = image;
  }
}

/** The duel now pits another detective against another counterfeiter. */
export class GenvizPairingEvent extends Event {
  static readonly eventName = 'genviz-pairing' as const;
  readonly run: GanRun;
  /** The detective's snapshot (undefined: the final discriminator). */
  readonly detective: SnapshotInfo | undefined;
  /** The counterfeiter's snapshot (undefined: the final generator). */
  readonly counterfeiter: SnapshotInfo | undefined;

  constructor(
    run: GanRun,
    detective: SnapshotInfo | undefined,
    counterfeiter: SnapshotInfo | undefined,
  ) {
    super(GenvizPairingEvent.eventName, init);
    this.run = run;
    this.detective = detective;
    this.counterfeiter = counterfeiter;
  }
}

/** A run's arms-race matrix is complete: every detective against every counterfeiter. */
export class GenvizMatrixEvent extends Event {
  static readonly eventName = 'genviz-matrix' as const;
  readonly run: GanRun;
  /** The rows' detectives and the columns' counterfeiters (training snapshots). */
  readonly detectives: readonly SnapshotInfo[];
  readonly counterfeiters: readonly SnapshotInfo[];
  /** accuracy[i][j]: the share (0-1) of the real digits and fakes detective i called right against counterfeiter j. */
  readonly accuracy: readonly (readonly number[])[];
  /** Real digits and fakes in each cell. */
  readonly real: number;
  readonly fakes: number;

  constructor(
    run: GanRun,
    detectives: readonly SnapshotInfo[],
    counterfeiters: readonly SnapshotInfo[],
    accuracy: readonly (readonly number[])[],
    real: number,
    fakes: number,
  ) {
    super(GenvizMatrixEvent.eventName, init);
    this.run = run;
    this.detectives = detectives;
    this.counterfeiters = counterfeiters;
    this.accuracy = accuracy;
    this.real = real;
    this.fakes = fakes;
  }
}

declare global {
  interface GlobalEventHandlersEventMap {
    'genviz-pairing': GenvizPairingEvent;
    'genviz-matrix': GenvizMatrixEvent;
    'genviz-round': GenvizRoundEvent;
    'genviz-snapshot': GenvizSnapshotEvent;
    'genviz-verdict': GenvizVerdictEvent;
  }
}
