import { GenvizDiffusionStepper } from './diffusion-stepper.js';

export { GenvizDiffusionStepper };

if (!customElements.get('genviz-diffusion-stepper')) {
  customElements.define('genviz-diffusion-stepper', GenvizDiffusionStepper);
}

declare global {
  interface HTMLElementTagNameMap {
    'genviz-diffusion-stepper': GenvizDiffusionStepper;
  }
}
