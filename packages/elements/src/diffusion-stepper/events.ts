import type { DiffusionResult, DiffusionStep, DigitReading } from '@genviz/runtime';

export { GenvizCancelEvent, GenvizErrorEvent, GenvizModelProgressEvent } from '../kit/events.js';
export type { CancelReason, DigitReading } from '../kit/events.js';

/** Which run of `<genviz-diffusion-stepper>` an event belongs to. */
export type DiffusionRunKind = 'reverse' | 'race' | 'live';

const init: EventInit = { bubbles: true, composed: true };

/** One newly computed sampling step (never fired when scrubbing through stored steps). */
export class GenvizStepEvent extends Event {
  static readonly eventName = 'genviz-step' as const;
  readonly step: DiffusionStep;
  readonly run: DiffusionRunKind;
  /** The scheduler of the run (in a race, the lane's). */
  readonly scheduler: string;

  constructor(step: DiffusionStep, run: DiffusionRunKind, scheduler: string) {
    super(GenvizStepEvent.eventName, init);
    this.step = step;
    this.run = run;
    this.scheduler = scheduler;
  }
}

/** A sampling run finished (in a race, one lane). */
export class GenvizCompleteEvent extends Event {
  static readonly eventName = 'genviz-complete' as const;
  readonly result: DiffusionResult;
  readonly run: DiffusionRunKind;
  readonly scheduler: string;
  /** The classifier's reading, when the classifier could run. */
  readonly reading: DigitReading | undefined;

  constructor(
    result: DiffusionResult,
    run: DiffusionRunKind,
    scheduler: string,
    reading: DigitReading | undefined,
  ) {
    super(GenvizCompleteEvent.eventName, init);
    this.result = result;
    this.run = run;
    this.scheduler = scheduler;
    this.reading = reading;
  }
}

declare global {
  interface GlobalEventHandlersEventMap {
    'genviz-step': GenvizStepEvent;
    'genviz-complete': GenvizCompleteEvent;
  }
}
