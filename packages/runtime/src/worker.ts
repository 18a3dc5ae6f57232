// The worker entry: one onnxruntime-web instance (one WASM compile) for every element that
// shares this worker.
import * as Comlink from 'comlink';
import { installErrorTransfer } from './comlink-errors.js';
import { WorkerApi } from './worker-api.js';

installErrorTransfer();
Comlink.expose(new WorkerApi());
