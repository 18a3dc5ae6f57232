/**
 * Every failure that crosses the worker boundary carries one of these codes, so an element can
 * turn it into a visible state without parsing messages.
 */
export type GenvizErrorCode =
  | 'model-not-found'
  | 'integrity-mismatch'
  | 'unsupported-device'
  | 'invalid-argument'
  | 'aborted'
  | 'out-of-memory'
  | 'worker-crashed'
  | 'runtime-error';

/** The `detail` of the error a WebGPU run fails with when its device is gone. */
export const GPU_LOST = 'gpu-lost';

export class GenvizError extends Error {
  override name = 'GenvizError';
  readonly code: GenvizErrorCode;
  /** What the failure concerns: a URL, a field name, a device. */
  readonly detail?: string;

  constructor(
    code: GenvizErrorCode,
    message: string,
    options?: { cause?: unknown; detail?: string },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.detail = options?.detail;
  }
}

export function isGenvizError(value: unknown): value is GenvizError {
  return value instanceof GenvizError;
}

export function abortedError(): GenvizError {
  return new GenvizError('aborted', 'The operation was aborted.');
}

/** Errors as plain data, to cross postMessage (structured clone drops subclass fields). */
export interface SerializedGenvizError {
  code: GenvizErrorCode;
  message: string;
  detail?: string;
  stack?: string;
}

export function serializeError(error: unknown): SerializedGenvizError {
  if (error instanceof GenvizError) {
    return { code: error.code, message: error.message, detail: error.detail, stack: error.stack };
  }
  const message = error instanceof Error ? error.message : String(error);
  // onnxruntime reports allocation failures only through its message text.
  const code: GenvizErrorCode =
    /out of memory|bad_alloc|OOM|Aborted\(OOM\)|failed to allocate/i.test(message)
      ? 'out-of-memory'
      : 'runtime-error';
  return { code, message, stack: error instanceof Error ? error.stack : undefined };
}

export function deserializeError(data: SerializedGenvizError): GenvizError {
  const error = new GenvizError(data.code, data.message, { detail: data.detail });
  if (data.stack) error.stack = data.stack;
  return error;
}

export function throwIfAborted(signal: { aborted: boolean } | undefined): void {
  if (signal?.aborted) throw abortedError();
}
