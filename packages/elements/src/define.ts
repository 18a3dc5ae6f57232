// Registers every genviz element. The one module of this package with side effects, besides
// each element's own define.ts.
import './latent-pad/define.js';
import './drawing-pad/define.js';
import './diffusion-stepper/define.js';
import './gan-duel/define.js';
import './latent-explorer/define.js';
