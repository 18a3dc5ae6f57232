// Classes only: importing this module registers nothing. Registration lives in the `define`
// modules (`@genviz/elements/define`, or one element's `define.js`).
export { GenvizLatentPad } from './latent-pad/latent-pad.js';
export { GenvizDrawingPad } from './drawing-pad/drawing-pad.js';
export { GenvizDiffusionStepper } from './diffusion-stepper/diffusion-stepper.js';
export {
  GenvizFrameEvent,
  GenvizLatentEvent,
  GenvizLatentExplorer,
} from './latent-explorer/latent-explorer.js';
export type {
  ExplorerView,
  Interpolation,
  LatentDetail,
  ShownImage,
} from './latent-explorer/latent-explorer.js';
export { GenvizPadInputEvent, GenvizPointHoverEvent } from './latent-pad/latent-pad.js';
export type { LatentMarker, LatentPoints } from './latent-pad/latent-pad.js';
export type { DiffusionStepperMode, RaceLane } from './diffusion-stepper/diffusion-stepper.js';
export { GenvizCancelEvent, GenvizErrorEvent, GenvizModelProgressEvent } from './kit/events.js';
export type { CancelReason, DigitReading } from './kit/events.js';
export { GenvizCompleteEvent, GenvizStepEvent } from './diffusion-stepper/events.js';
export type { DiffusionRunKind } from './diffusion-stepper/events.js';
export { GenvizGanDuel } from './gan-duel/gan-duel.js';
export type {
  DiversityMeter,
  DuelCell,
  DuelRound,
  GanDuelMode,
  GanRun,
  RoundCellResult,
  SnapshotInfo,
} from './gan-duel/gan-duel.js';
export { GenvizRoundEvent, GenvizSnapshotEvent, GenvizVerdictEvent } from './gan-duel/events.js';
