// The manifest contract lives in @genviz/core, the one package both this tool (which writes the
// manifests) and the runtime (which reads them) depend on.
export { MANIFEST_SCHEMA_VERSION } from '@genviz/core';
export type {
  AnyManifest,
  DataFile,
  DatasetManifest,
  GanSnapshot,
  ManifestTask,
  ManifestTensor,
  ModelManifest,
  ModelVariant,
  NetworkManifest,
  VerifiedOutput,
} from '@genviz/core';
