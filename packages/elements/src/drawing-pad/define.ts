import { GenvizDrawingPad } from './drawing-pad.js';

export { GenvizDrawingPad };

if (!customElements.get('genviz-drawing-pad')) {
  customElements.define('genviz-drawing-pad', GenvizDrawingPad);
}

declare global {
  interface HTMLElementTagNameMap {
    'genviz-drawing-pad': GenvizDrawingPad;
  }
}
