// The explorer's shadow DOM uses the latent pad (map, flow) and the drawing pad (draw view):
// registering the explorer registers them too.
import '../latent-pad/define.js';
import '../drawing-pad/define.js';
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
