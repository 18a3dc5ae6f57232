"""Train the digit classifier (genviz `mnist-classifier`).

    /usr/bin/python3 models/mnist-classifier/train.py [--epochs 15] [--threads 1] [--mnist-dir DIR]

Recipe: 9,000 training digits (fixed split), pixels in [0,1]. Augmentation: random shift of up to
2 pixels each way (zero-padded crop) and small random affine (rotation <= 10 degrees, scale 0.9..1.1).
Adam lr 2e-3, cosine to 0 over the epochs, batch 128, weight decay 1e-4 (AdamW), cross-entropy.
Writes classifier.safetensors and reference.safetensors (8 held-out digits + their logits).
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
from common import count_params, import_model, load_config, load_split, save_safetensors, save_state_dict  # noqa: E402


def augment(x, max_shift=2, max_rot=10.0, scale=(0.9, 1.1)):
    n = x.shape[0]
    ang = (torch.rand(n) * 2 - 1) * max_rot * math.pi / 180
    s = torch.empty(n).uniform_(*scale)
    cos, sin = torch.cos(ang) / s, torch.sin(ang) / s
    theta = torch.stack([torch.stack([cos, -sin, torch.zeros(n)], 1), torch.stack([sin, cos, torch.zeros(n)], 1)], 1)
    grid = F.affine_grid(theta, x.shape, align_corners=False)
    x = F.grid_sample(x, grid, align_corners=False, padding_mode="zeros")
    p = F.pad(x, (max_shift,) * 4)
    out = torch.empty_like(x)
    dx = torch.randint(0, 2 * max_shift + 1, (n,))
    dy = torch.randint(0, 2 * max_shift + 1, (n,))
    for i in range(n):
        out[i] = p[i, :, dy[i]:dy[i] + 28, dx[i]:dx[i] + 28]
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=15)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--mnist-dir", default=None)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    config = load_config("mnist-classifier")
    net = import_model("mnist-classifier").build(config)
    print(f"params {count_params(net)}", flush=True)
    tr_x, tr_y, he_x, he_y = load_split(args.mnist_dir)
    X = torch.from_numpy(tr_x).float().div(255).unsqueeze(1)
    Y = torch.from_numpy(tr_y).long()
    HX = torch.from_numpy(he_x).float().div(255).unsqueeze(1)
    HY = torch.from_numpy(he_y).long()
    opt = torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=1e-4)
    steps_per_epoch = len(X) // args.batch
    total = args.epochs * steps_per_epoch
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.5 * (1 + math.cos(math.pi * min(s, total) / total)))
    t0 = time.time()
    log = []
    for ep in range(args.epochs):
        net.train()
        perm = torch.randperm(len(X))
        tl = 0.0
        for i in range(steps_per_epoch):
            idx = perm[i * args.batch:(i + 1) * args.batch]
            loss = F.cross_entropy(net(augment(X[idx])), Y[idx])
            opt.zero_grad(); loss.backward(); opt.step(); sched.step()
            tl += loss.item()
        net.eval()
        with torch.no_grad():
            acc = (net(HX).argmax(1) == HY).float().mean().item()
        log.append({"epoch": ep + 1, "loss": tl / steps_per_epoch, "heldout_acc": acc, "seconds": time.time() - t0})
        print(f"epoch {ep + 1} loss {tl / steps_per_epoch:.4f} heldout acc {acc:.4f} ({time.time() - t0:.0f}s)", flush=True)
    net.eval()
    save_state_dict(os.path.join(HERE, "classifier.safetensors"), net)
    ref_idx = torch.arange(0, 1000, 125)  # 8 held-out digits (classes 0,1,2,3,5,6,7,8)
    with torch.no_grad():
        save_safetensors(os.path.join(HERE, "reference.safetensors"),
                         {"classifier.image": HX[ref_idx], "classifier.logits": net(HX[ref_idx])})
    with open(os.path.join(HERE, "train-history.json"), "w") as f:
        json.dump({"args": vars(args), "params": count_params(net), "train_seconds": time.time() - t0,
                   "epochs": log}, f, indent=1)
    print(f"done in {time.time() - t0:.0f}s", flush=True)


if __name__ == "__main__":
    main()
