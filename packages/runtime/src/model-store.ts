import { located } from './asset-locations.js';
import { GenvizError, throwIfAborted } from './errors.js';

/** Progress of one model file, as a discriminated union on `status`. */
export type FileProgress =
  | { status: 'cached'; file: string; bytes: number }
  | { status: 'downloading'; file: string; loaded: number; total: number }
  | { status: 'verifying'; file: string; bytes: number }
  | { status: 'ready'; file: string; bytes: number; fromCache: boolean };

export interface FetchModelFileOptions {
  url: string;
  sha256: string;
  /** Expected size, used for progress when the server sends no Content-Length. */
  bytes: number;
  signal?: { readonly aborted: boolean };
  onProgress?: (progress: FileProgress) => void;
}

const CACHE_NAME = 'genviz-models-v1';

/** The Cache API key of a file: its content hash, so the same bytes from any URL hit once. */
function cacheKey(sha256: string): string {
  return `${self.location.origin}/__genviz-cache__/sha256/${sha256}`;
}

async function openCache(): Promise<Cache | undefined> {
  // Insecure contexts and some privacy modes have no Cache API: download every time there.
  try {
    return typeof caches === 'undefined' ? undefined : await caches.open(CACHE_NAME);
  } catch {
    return undefined;
  }
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, '0')).join('');
}

async function download(options: FetchModelFileOptions): Promise<Uint8Array> {
  const { url, onProgress, signal } = options;
  // Messages name the URL actually requested (a bundler may have moved the file), not the key.
  const fetched = located(url);
  let response: Response;
  try {
    response = await fetch(fetched);
  } catch (cause) {
    throw new GenvizError(
      'model-not-found',
      `Could not fetch ${fetched}: the network request failed, and no copy is cached.`,
      { cause, detail: fetched },
    );
  }
  if (!response.ok) {
    throw new GenvizError(
      'model-not-found',
      `Could not fetch ${fetched}: HTTP ${response.status} ${response.statusText}.`,
      { detail: fetched },
    );
  }
  const total = Number(response.headers.get('Content-Length')) || options.bytes;
  const file = url.slice(url.lastIndexOf('/') + 1);
  if (!response.body) return new Uint8Array(await response.arrayBuffer());
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  onProgress?.({ status: 'downloading', file, loaded, total });
  for (;;) {
    if (signal?.aborted) {
      await reader.cancel();
      throwIfAborted(signal);
    }
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.byteLength;
    onProgress?.({ status: 'downloading', file, loaded, total: Math.max(total, loaded) });
  }
  const bytes = new Uint8Array(loaded);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/**
 * The bytes of a model file, from the Cache API when a copy with the right hash is there, else
 * downloaded with byte-level progress. The hash is checked before the bytes are used, and only
 * verified bytes are stored.
 */
export async function fetchModelFile(options: FetchModelFileOptions): Promise<Uint8Array> {
  const { url, sha256, onProgress, signal } = options;
  const file = url.slice(url.lastIndexOf('/') + 1);
  const cache = await openCache();
  const key = cacheKey(sha256);
  const cached = await cache?.match(key);
  if (cached) {
    const bytes = new Uint8Array(await cached.arrayBuffer());
    if ((await sha256Hex(bytes)) === sha256) {
      onProgress?.({ status: 'cached', file, bytes: bytes.byteLength });
      onProgress?.({ status: 'ready', file, bytes: bytes.byteLength, fromCache: true });
      return bytes;
    }
    await cache!.delete(key); // A corrupted entry: drop it and download again.
  }
  throwIfAborted(signal);
  const bytes = await download(options);
  onProgress?.({ status: 'verifying', file, bytes: bytes.byteLength });
  const actual = await sha256Hex(bytes);
  if (actual !== sha256) {
    throw new GenvizError(
      'integrity-mismatch',
      `The file ${located(url)} does not match its manifest: sha256 ${actual} instead of ${sha256}. It may be corrupted or replaced; it was not used.`,
      { detail: url },
    );
  }
  await cache?.put(
    key,
    new Response(bytes as Uint8Array<ArrayBuffer>, {
      headers: { 'Content-Type': 'application/octet-stream' },
    }),
  );
  onProgress?.({ status: 'ready', file, bytes: bytes.byteLength, fromCache: false });
  return bytes;
}

/**
 * A JSON document (a model or dataset manifest) from the network, checked by `parse` and then
 * kept in the Cache API under the URL fetched, so that a later visit without network still
 * finds it. The network comes first, so a republished manifest (new files, new hashes) is seen
 * as soon as it is reachable; the cached copy answers only when the request itself fails.
 */
export async function fetchJsonDocument<T>(
  url: string,
  what: string,
  parse: (value: unknown, url: string) => T,
): Promise<T> {
  const fetched = located(url);
  let response: Response;
  try {
    response = await fetch(fetched);
  } catch (cause) {
    const cached = await (await openCache())?.match(fetched);
    if (cached) return parse(await readJson(cached, what, fetched), fetched);
    throw new GenvizError(
      'model-not-found',
      `Could not fetch the ${what} ${fetched}: the network request failed, and no copy is cached.`,
      { cause, detail: fetched },
    );
  }
  if (!response.ok) {
    throw new GenvizError(
      'model-not-found',
      `Could not fetch the ${what} ${fetched}: HTTP ${response.status}.`,
      { detail: fetched },
    );
  }
  const value = parse(await readJson(response, what, fetched), fetched);
  // Only a document that passed `parse` is kept; a failed write (quota) costs nothing but the copy.
  await (
    await openCache()
  )
    ?.put(
      fetched,
      new Response(JSON.stringify(value), { headers: { 'Content-Type': 'application/json' } }),
    )
    .catch(() => undefined);
  return value;
}

async function readJson(response: Response, what: string, url: string): Promise<unknown> {
  try {
    return (await response.json()) as unknown;
  } catch (cause) {
    throw new GenvizError('invalid-argument', `The ${what} ${url} is not valid JSON.`, {
      cause,
      detail: url,
    });
  }
}

/** Removes every cached model file and manifest (for a "clear downloaded models" button, and tests). */
export async function clearModelCache(): Promise<void> {
  if (typeof caches !== 'undefined') await caches.delete(CACHE_NAME);
}
