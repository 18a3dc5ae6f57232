import { GenvizLatentPad } from './latent-pad.js';

export { GenvizLatentPad };

if (!customElements.get('genviz-latent-pad')) {
  customElements.define('genviz-latent-pad', GenvizLatentPad);
}

declare global {
  interface HTMLElementTagNameMap {
    'genviz-latent-pad': GenvizLatentPad;
  }
}
