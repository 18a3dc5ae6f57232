// The dtype suffix table lives in @genviz/core, the one package both this tool (which names the
// files) and the runtime (which resolves them) depend on.
export { DTYPE_SUFFIXES, MODEL_DTYPES, isModelDtype, variantFileName } from '@genviz/core';
export type { ModelDtype } from '@genviz/core';
