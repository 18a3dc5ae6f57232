import '../drawing-pad/define.js';
import { GenvizGanDuel } from './gan-duel.js';

export { GenvizGanDuel };

if (!customElements.get('genviz-gan-duel')) {
  customElements.define('genviz-gan-duel', GenvizGanDuel);
}

declare global {
  interface HTMLElementTagNameMap {
    'genviz-gan-duel': GenvizGanDuel;
  }
}
