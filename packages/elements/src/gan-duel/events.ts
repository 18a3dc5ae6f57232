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

declare global {
  interface GlobalEventHandlersEventMap {
    'genviz-round': GenvizRoundEvent;
    'genviz-snapshot': GenvizSnapshotEvent;
    'genviz-verdict': GenvizVerdictEvent;
  }
}
