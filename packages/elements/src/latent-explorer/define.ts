import { GenvizLatentExplorer } from './latent-explorer.js';

export { GenvizLatentExplorer };

if (!customElements.get('genviz-latent-explorer')) {
  customElements.define('genviz-latent-explorer', GenvizLatentExplorer);
}

declare global {
  interface HTMLElementTagNameMap {
    'genviz-latent-explorer': GenvizLatentExplorer;
  }
}
