// Classes only: importing this module registers nothing. Registration lives in the `define`
// modules (`@genviz/elements/define`, or one element's `define.js`).
export { GenvizLatentPad } from './latent-pad/latent-pad.js';
export { GenvizDiffusionStepper } from './diffusion-stepper/diffusion-stepper.js';
