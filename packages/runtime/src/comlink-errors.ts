import * as Comlink from 'comlink';
import { deserializeError, serializeError } from './errors.js';
import type { SerializedGenvizError } from './errors.js';

type ThrowHandler = Comlink.TransferHandler<{ value: unknown }, { genviz: SerializedGenvizError }>;

let installed = false;

/**
 * Comlink's own 'throw' handler keeps only name, message and stack; this one keeps the error
 * code too. It must be installed on both sides of the boundary, once.
 */
export function installErrorTransfer(): void {
  if (installed) return;
  installed = true;
  const original = Comlink.transferHandlers.get('throw')!;
  const handler: ThrowHandler = {
    canHandle: (value): value is { value: unknown } => original.canHandle(value),
    serialize: ({ value }) => [{ genviz: serializeError(value) }, []],
    deserialize: (serialized) => {
      throw deserializeError(serialized.genviz);
    },
  };
  Comlink.transferHandlers.set('throw', handler as Comlink.TransferHandler<unknown, unknown>);
}
