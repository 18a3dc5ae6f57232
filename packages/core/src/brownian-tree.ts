import { seedSequenceState } from './seed-sequence.js';
import { TorchGenerator } from './torch-rng.js';

const f = Math.fround;

/** torchsde's BrownianTree: a dyadic tree resolved to 1e-6, entropy pooled in 24 words. */
const TREE_TOLERANCE_DIGITS = 6;
const TREE_POOL_SIZE = 24;
const MAX_SPLIT_LEVELS = 128;
/** torchsde keeps 45 increments in an LRU cache; any size gives the same numbers. */
const CACHED_INCREMENTS = 45;

/**
 * Python's `round(x, digits)`: the decimal with `digits` places nearest to x's exact binary value,
 * ties to even, as the nearest double. (`toFixed` rounds a tie away from zero; a tie needs x to be
 * an odd multiple of 2^-(digits + 1), which power-of-two scaling detects exactly.)
 */
export function pythonRound(x: number, digits: number): number {
  const fixed = x.toFixed(digits);
  const scaled = x * 2 ** (digits + 1);
  if (Number.isInteger(scaled) && scaled % 2 !== 0) {
    const magnitude = Number(fixed.replace('-', '').replace('.', ''));
    const even = magnitude % 2 === 0 ? magnitude : magnitude - 1;
    return (x < 0 ? -even : even) / 10 ** digits;
  }
  return Number(fixed);
}

interface TreeNode {
  readonly start: number;
  readonly end: number;
  readonly parent: TreeNode | null;
  readonly isLeft: boolean;
  /** Set when the node is split: the rounded halfway point, the children and the bridge's seed. */
  midway: number | null;
  left: TreeNode | null;
  right: TreeNode | null;
  spawnKey: number;
  depth: number;
  bridgeSeed: number;
}

/**
 * torchsde's `BrownianTree` (a `BrownianInterval` with `halfway_tree=True`, `tol=1e-6`,
 * `pool_size=24`), number for number in float32, for one Brownian motion of `size` elements on
 * [t0, t1] seeded by `entropy`, as diffusers' DPMSolverSDEScheduler draws its noise from it.
 *
 * How torchsde builds it (torchsde/_brownian/brownian_interval.py): the root holds
 * W(t0, t1) = randn(seed) * sqrt(t1 - t0), its seed the first word of numpy's
 * SeedSequence(entropy, pool_size=24). A query [ta, tb] (times rounded to 6 decimals) is cut into
 * nodes of the dyadic tree, each node split at its rounded halfway point; a child's increment is
 * the Brownian bridge from its parent's, with the normals of `torch.randn` under a generator seeded
 * from SeedSequence(entropy, spawn_key=(key, depth)), key and depth those of the parent's
 * position in the tree. The increments of the nodes are summed in order. Every value is
 * recomputable from the root, so the cache only saves time.
 */
export class BrownianTree {
  readonly size: number;
  private readonly entropy: number;
  private readonly root: TreeNode;
  private readonly rootIncrement: Float32Array;
  private readonly generator = new TorchGenerator(0);
  /** Node increments, least recently used first (Map keeps insertion order). */
  private readonly cache = new Map<TreeNode, Float32Array>();
  private lastNode: TreeNode;
  private readonly found: TreeNode[] = [];

  /**
   * @param t0 start of the interval (torchsde takes float(t0); here the float32 sigma as a number)
   * @param t1 end of the interval, > t0
   * @param size elements of each increment (the whole sample: diffusers uses one tree per batch)
   * @param entropy torchsde's `entropy` (diffusers' `noise_sampler_seed`), a non-negative safe integer
   */
  constructor(t0: number, t1: number, size: number, entropy: number) {
    if (!(Number.isFinite(t0) && Number.isFinite(t1) && t0 < t1)) {
      throw new RangeError(`BrownianTree: expected finite t0 < t1, got ${t0} and ${t1}`);
    }
    if (!Number.isInteger(size) || size < 1) {
      throw new RangeError(`BrownianTree: size must be a positive integer, got ${size}`);
    }
    if (!Number.isSafeInteger(entropy) || entropy < 0) {
      throw new RangeError(`BrownianTree: entropy must be a non-negative integer, got ${entropy}`);
    }
    this.size = size;
    this.entropy = entropy;
    this.root = this.node(t0, t1, null, false);
    this.root.spawnKey = 0;
    this.root.depth = 0;
    this.lastNode = this.root;
    const [wSeed] = seedSequenceState(entropy, [], TREE_POOL_SIZE, 1);
    this.rootIncrement = this.normals(wSeed as number, new Float32Array(size));
    const scale = f(Math.sqrt(t1 - t0));
    for (let i = 0; i < size; i++)
      this.rootIncrement[i] = f((this.rootIncrement[i] as number) * scale);
  }

  get t0(): number {
    return this.root.start;
  }

  get t1(): number {
    return this.root.end;
  }

  /**
   * W(tb) - W(ta) into `out` (length >= size), as torchsde's `tree(ta, tb)`; times outside
   * [t0, t1] are clamped to it (torchsde warns and clamps).
   */
  increment(ta: number, tb: number, out: Float32Array): Float32Array {
    if (out.length < this.size) {
      throw new RangeError(`BrownianTree: out has ${out.length} elements, expected ${this.size}`);
    }
    if (!(ta <= tb)) throw new RangeError(`BrownianTree: expected ta <= tb, got ${ta} and ${tb}`);
    const { start, end } = this.root;
    const a = pythonRound(Math.min(Math.max(ta, start), end), TREE_TOLERANCE_DIGITS);
    const b = pythonRound(Math.min(Math.max(tb, start), end), TREE_TOLERANCE_DIGITS);
    if (a === b) {
      out.fill(0, 0, this.size);
      return out;
    }
    const found = this.found;
    found.length = 0;
    this.locate(this.lastNode, a, b, found);
    this.lastNode = found[found.length - 1] as TreeNode;
    out.set(this.incrementOf(found[0] as TreeNode));
    for (let k = 1; k < found.length; k++) {
      const next = this.incrementOf(found[k] as TreeNode);
      for (let i = 0; i < this.size; i++) out[i] = f((out[i] as number) + (next[i] as number));
    }
    return out;
  }

  private node(start: number, end: number, parent: TreeNode | null, isLeft: boolean): TreeNode {
    return {
      start: pythonRound(start, TREE_TOLERANCE_DIGITS),
      end: pythonRound(end, TREE_TOLERANCE_DIGITS),
      parent,
      isLeft,
      midway: null,
      left: null,
      right: null,
      spawnKey: 0,
      depth: 0,
      bridgeSeed: 0,
    };
  }

  /** torchsde's `_loc_inner`: the existing or newly split nodes that tile [ta, tb], in order. */
  private locate(node: TreeNode, ta: number, tb: number, found: TreeNode[]): void {
    if (ta < node.start || tb > node.end) {
      this.locate(node.parent as TreeNode, ta, tb, found);
      return;
    }
    if (ta === node.start && tb === node.end) {
      found.push(node);
      return;
    }
    if (node.midway === null) {
      if (ta === node.start) {
        this.split(node, tb);
        this.locate(node.left as TreeNode, ta, tb, found);
      } else {
        this.split(node, ta);
        this.locate(node.right as TreeNode, ta, tb, found);
      }
      return;
    }
    if (tb <= node.midway) {
      this.locate(node.left as TreeNode, ta, tb, found);
    } else if (ta >= node.midway) {
      this.locate(node.right as TreeNode, ta, tb, found);
    } else {
      const midway = node.midway;
      this.locate(node.left as TreeNode, ta, midway, found);
      this.locate(node.right as TreeNode, midway, tb, found);
    }
  }

  /** The halfway tree's `_split`: split at the halfway point, then split down towards `target`. */
  private split(node: TreeNode, target: number): void {
    for (let current: TreeNode | null = node, levels = 0; current !== null; levels++) {
      // Times on the 1e-6 grid are reached within ~60 halvings of any interval a double can hold;
      // more means the grid assumption broke, and a loop here would hang the page.
      if (levels > MAX_SPLIT_LEVELS) {
        throw new RangeError(
          `BrownianTree: cannot resolve t = ${target} to ${TREE_TOLERANCE_DIGITS} decimals`,
        );
      }
      this.splitHalfway(current);
      const midway = current.midway as number;
      current = target > midway ? current.right : target < midway ? current.left : null;
    }
  }

  private splitHalfway(node: TreeNode): void {
    const raw = 0.5 * (node.end + node.start);
    node.midway = pythonRound(raw, TREE_TOLERANCE_DIGITS);
    if (node.parent !== null) {
      node.spawnKey = 2 * node.parent.spawnKey + (node.isLeft ? 0 : 1);
      node.depth = node.parent.depth + 1;
    }
    const [wSeed] = seedSequenceState(this.entropy, [node.spawnKey, node.depth], TREE_POOL_SIZE, 1);
    node.bridgeSeed = wSeed as number;
    node.left = this.node(node.start, raw, node, true);
    node.right = this.node(raw, node.end, node, false);
  }

  /** The increment over a node: the root's, or the Brownian bridge from its parent's. */
  private incrementOf(node: TreeNode): Float32Array {
    if (node.parent === null) return this.rootIncrement;
    const cached = this.cache.get(node);
    if (cached !== undefined) {
      this.cache.delete(node);
      this.cache.set(node, cached);
      return cached;
    }
    const parent = node.parent;
    const parentIncrement = this.incrementOf(parent);
    const midway = parent.midway as number;
    const hReciprocal = 1 / (parent.end - parent.start);
    const leftDiff = midway - parent.start;
    const rightDiff = parent.end - midway;
    // torchsde: mean = left_diff * W * h_reciprocal; left_W = mean + sqrt(var) * noise, in float32
    // (torch rounds each Python float to float32 before multiplying a float32 tensor).
    const meanScale = f(leftDiff);
    const meanScale2 = f(hReciprocal);
    const std = f(Math.sqrt(leftDiff * rightDiff * hReciprocal));
    const out = this.normals(parent.bridgeSeed, this.takeBuffer());
    for (let i = 0; i < this.size; i++) {
      const w = parentIncrement[i] as number;
      const leftW = f(f(f(meanScale * w) * meanScale2) + f(std * (out[i] as number)));
      out[i] = node.isLeft ? leftW : f(w - leftW);
    }
    this.cache.set(node, out);
    return out;
  }

  /** A buffer for a new increment: the least recently used one once the cache is full. */
  private takeBuffer(): Float32Array {
    if (this.cache.size < CACHED_INCREMENTS) return new Float32Array(this.size);
    const [oldest, buffer] = this.cache.entries().next().value as [TreeNode, Float32Array];
    this.cache.delete(oldest);
    return buffer;
  }

  private normals(seed: number, out: Float32Array): Float32Array {
    return this.generator.manualSeed(seed).fill(out);
  }
}
