/**
 * numpy's `np.random.SeedSequence(entropy, spawn_key, pool_size).generate_state(n)` (uint32
 * words), for reproducing torchsde's Brownian tree, which seeds each node's torch generator from
 * it. Algorithm as numpy/random/bit_generator.pyx (numpy >= 1.19): the entropy and the spawn key
 * become little-endian uint32 words; with a spawn key, the run entropy is padded with zeros to the
 * pool size first; the words are hashed into a pool of `poolSize` words (hashmix, then every pool
 * word mixed with every other, then any words beyond the pool mixed into each), and the state is
 * the pool read cyclically through a second hash.
 */

const INIT_A = 0x43b0d7e5;
const MULT_A = 0x931e8875;
const INIT_B = 0x8b51f9dd;
const MULT_B = 0x58f38ded;
const MIX_MULT_L = 0xca01f9dd;
const MIX_MULT_R = 0x4973f715;
const TWO_POW_32 = 4294967296;

/** numpy's `_int_to_uint32_array`: a non-negative integer as little-endian 32-bit words (0 -> [0]). */
function intToWords(value: number, out: number[]): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`SeedSequence: expected a non-negative safe integer, got ${value}`);
  }
  if (value === 0) {
    out.push(0);
    return;
  }
  for (let rest = value; rest > 0; rest = Math.floor(rest / TWO_POW_32))
    out.push(rest % TWO_POW_32);
}

/**
 * The first `words` uint32 of SeedSequence(entropy, spawn_key=spawnKey, pool_size=poolSize)'s
 * generate_state. `entropy` and the spawn key's entries are non-negative safe integers.
 */
export function seedSequenceState(
  entropy: number,
  spawnKey: readonly number[],
  poolSize: number,
  words: number,
): Uint32Array {
  const assembled: number[] = [];
  intToWords(entropy, assembled);
  if (spawnKey.length > 0) {
    while (assembled.length < poolSize) assembled.push(0);
    for (const key of spawnKey) intToWords(key, assembled);
  }

  let hashConst = INIT_A;
  const hashmix = (value: number): number => {
    let mixed = (value ^ hashConst) >>> 0;
    hashConst = Math.imul(hashConst, MULT_A) >>> 0;
    mixed = Math.imul(mixed, hashConst) >>> 0;
    return (mixed ^ (mixed >>> 16)) >>> 0;
  };
  const mix = (x: number, y: number): number => {
    const result = (Math.imul(MIX_MULT_L, x) - Math.imul(MIX_MULT_R, y)) >>> 0;
    return (result ^ (result >>> 16)) >>> 0;
  };

  const pool = new Uint32Array(poolSize);
  for (let i = 0; i < poolSize; i++)
    pool[i] = hashmix(i < assembled.length ? (assembled[i] as number) : 0);
  for (let source = 0; source < poolSize; source++) {
    for (let target = 0; target < poolSize; target++) {
      if (source !== target) {
        pool[target] = mix(pool[target] as number, hashmix(pool[source] as number));
      }
    }
  }
  for (let source = poolSize; source < assembled.length; source++) {
    for (let target = 0; target < poolSize; target++) {
      pool[target] = mix(pool[target] as number, hashmix(assembled[source] as number));
    }
  }

  const state = new Uint32Array(words);
  let stateConst = INIT_B;
  for (let i = 0; i < words; i++) {
    let value = ((pool[i % poolSize] as number) ^ stateConst) >>> 0;
    stateConst = Math.imul(stateConst, MULT_B) >>> 0;
    value = Math.imul(value, stateConst) >>> 0;
    state[i] = (value ^ (value >>> 16)) >>> 0;
  }
  return state;
}
