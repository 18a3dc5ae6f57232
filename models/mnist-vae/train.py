"""Train the 2-D-latent convolutional VAE (genviz `mnist-vae`).

    /usr/bin/python3 models/mnist-vae/train.py [--epochs 40] [--threads 1] [--mnist-dir DIR]

Recipe: 9,000 training digits (fixed split), pixels in [0,1], no augmentation. Loss per image:
binary cross-entropy summed over the 784 pixels + KL(q(z|x) || N(0, I)) (beta = 1), reparameterised
sample z = mean + exp(logvar/2) * eps. Adam lr 1e-3, cosine to 5% over the epochs, batch 128.
Writes encoder.safetensors, decoder.safetensors, heldout-latents.safetensors (encoder mean of the
1,000 held-out digits + labels) and reference.safetensors.
"""
import argparse
import json
import math
import os
import sys
import time

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
from common import count_params, import_model, load_config, load_split, save_safetensors, save_state_dict  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--mnist-dir", default=None)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    config = load_config("mnist-vae")
    enc, dec = import_model("mnist-vae").build(config)
    print(f"params encoder {count_params(enc)} decoder {count_params(dec)}", flush=True)
    tr_x, _, he_x, he_y = load_split(args.mnist_dir)
    X = torch.from_numpy(tr_x).float().div(255).unsqueeze(1)
    HX = torch.from_numpy(he_x).float().div(255).unsqueeze(1)
    params = list(enc.parameters()) + list(dec.parameters())
    opt = torch.optim.Adam(params, lr=args.lr)
    spe = len(X) // args.batch
    total = args.epochs * spe
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(s, total) / total)))
    t0 = time.time()
    log = []
    for ep in range(args.epochs):
        enc.train(); dec.train()
        perm = torch.randperm(len(X))
        tb = tk = 0.0
        for i in range(spe):
            x = X[perm[i * args.batch:(i + 1) * args.batch]]
            mean, logvar = enc(x)
            z = mean + torch.exp(0.5 * logvar) * torch.randn_like(mean)
            xr = dec(z)
            bce = F.binary_cross_entropy(xr, x, reduction="sum") / len(x)
            kl = (-0.5 * (1 + logvar - mean ** 2 - logvar.exp()).sum(1)).mean()
            loss = bce + kl
            opt.zero_grad(); loss.backward(); opt.step(); sched.step()
            tb += bce.item(); tk += kl.item()
        enc.eval(); dec.eval()
        with torch.no_grad():
            m, lv = enc(HX)
            hb = F.binary_cross_entropy(dec(m), HX, reduction="sum").item() / len(HX)
        log.append({"epoch": ep + 1, "train_bce": tb / spe, "train_kl": tk / spe, "heldout_bce_at_mean": hb,
                    "seconds": time.time() - t0})
        print(f"epoch {ep + 1} bce {tb / spe:.2f} kl {tk / spe:.2f} heldout bce(mean) {hb:.2f} ({time.time() - t0:.0f}s)", flush=True)
    enc.eval(); dec.eval()
    save_state_dict(os.path.join(HERE, "encoder.safetensors"), enc)
    save_state_dict(os.path.join(HERE, "decoder.safetensors"), dec)
    with torch.no_grad():
        m, lv = enc(HX)
        save_safetensors(os.path.join(HERE, "heldout-latents.safetensors"),
                         {"mean": m.float(), "labels": torch.from_numpy(he_y).to(torch.uint8)})
        ref_idx = torch.arange(0, 1000, 125)
        gen = torch.Generator().manual_seed(1)
        lat = torch.randn(8, 2, generator=gen) * 1.5
        rm, rl = enc(HX[ref_idx])
        save_safetensors(os.path.join(HERE, "reference.safetensors"), {
            "encoder.image": HX[ref_idx], "encoder.mean": rm, "encoder.logvar": rl,
            "decoder.latent": lat, "decoder.image": dec(lat)})
    with open(os.path.join(HERE, "train-history.json"), "w") as f:
        json.dump({"args": vars(args), "params": {"encoder": count_params(enc), "decoder": count_params(dec)},
                   "train_seconds": time.time() - t0, "epochs": log}, f, indent=1)
    print(f"done in {time.time() - t0:.0f}s", flush=True)


if __name__ == "__main__":
    main()
