import '@genviz/elements/define';
import { setUpComparison } from './comparison.js';

// No runtime configuration: the default models come through @genviz/models' asset table, which
// the build emits beside the bundle, as it does for any user's Vite or webpack build.
const comparison = document.querySelector<HTMLElement>('#compare');
if (comparison) setUpComparison(comparison);
