"""Train the KL-regularised spatial-latent autoencoder (genviz `mnist-autoencoder`), then compute its
latent scaling factor the way Stable Diffusion's is defined (1 / std of the latents over training data).

    OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 models/mnist-autoencoder/train.py [--epochs 30] [--kl-weight 0.1] [--threads 1] [--mnist-dir DIR]

Recipe: 9,000 training digits (fixed split, ../mnist-data), pixels in [0,1], no augmentation. Loss per
image: binary cross-entropy summed over the 784 pixels + kl_weight * KL(q(z|x) || N(0, I)) summed over
the L*7*7 latent elements; reparameterised sample z = mean + exp(logvar/2) * eps. Adam lr 1e-3, cosine
to 5% over the epochs, batch 128.

Scaling factor: every training digit is encoded and one posterior sample z = mean + std * eps is drawn
(eps seed 0; diffusers' training scripts feed the LDM `latent_dist.sample() * scaling_factor`);
scaling_factor = 1 / std(all elements of z), written into config.json ("scaling_factor", as diffusers'
AutoencoderKL config stores it). Writes encoder.safetensors, decoder.safetensors, reference.safetensors,
train-history.json.
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


@torch.no_grad()
def latent_std(enc, X, seed=0):
    """std over every element of one posterior sample per training digit (and the mean, for the card)."""
    g = torch.Generator().manual_seed(seed)
    zs = []
    for i in range(0, len(X), 500):
        m, lv = enc(X[i:i + 500])
        zs.append(m + torch.exp(0.5 * lv) * torch.randn(m.shape, generator=g))
    z = torch.cat(zs).double()
    return z.std().item(), z.mean().item()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--kl-weight", type=float, default=0.1)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--mnist-dir", default=None)
    ap.add_argument("--no-write", action="store_true", help="trial run: print metrics, write nothing")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    config = load_config("mnist-autoencoder")
    enc, dec = import_model("mnist-autoencoder").build(config)
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
            kl = (-0.5 * (1 + logvar - mean ** 2 - logvar.exp())).sum((1, 2, 3)).mean()
            loss = bce + args.kl_weight * kl
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
    train_seconds = time.time() - t0
    std, mean_all = latent_std(enc, X)
    scale = 1.0 / std
    print(f"latent std over the training digits {std:.5f} (mean {mean_all:.5f}): scaling_factor {scale:.5f}", flush=True)
    if args.no_write:
        sys.path.insert(0, os.path.join(HERE, ".."))
        from metrics import judge, load_classifier
        with torch.no_grad():
            pred, _ = judge(load_classifier(), dec(enc(HX)[0]))
        print(f"trial: classifier accuracy on held-out reconstructions {(pred.numpy() == he_y).mean() * 100:.1f}%")
        return
    save_state_dict(os.path.join(HERE, "encoder.safetensors"), enc)
    save_state_dict(os.path.join(HERE, "decoder.safetensors"), dec)
    cfg_path = os.path.join(HERE, "config.json")
    with open(cfg_path) as f:
        cfg = json.load(f)
    cfg["scaling_factor"] = round(scale, 5)
    with open(cfg_path, "w") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")
    with torch.no_grad():
        ref_idx = torch.arange(0, 1000, 125)
        rm, rl = enc(HX[ref_idx])
        # decoder inputs: 4 encoded held-out digits and 4 draws of N(0, I) / scaling_factor (what the LDM starts from)
        lat = torch.cat([rm[:4], torch.randn(4, *rm.shape[1:], generator=torch.Generator().manual_seed(1)) / scale])
        save_safetensors(os.path.join(HERE, "reference.safetensors"), {
            "encoder.image": HX[ref_idx], "encoder.mean": rm, "encoder.logvar": rl,
            "decoder.latent": lat, "decoder.image": dec(lat)})
    with open(os.path.join(HERE, "train-history.json"), "w") as f:
        json.dump({"args": vars(args), "params": {"encoder": count_params(enc), "decoder": count_params(dec)},
                   "train_seconds": train_seconds, "latent_std": std, "latent_mean": mean_all,
                   "scaling_factor": scale, "epochs": log}, f, indent=1)
    print(f"done in {train_seconds:.0f}s", flush=True)


if __name__ == "__main__":
    main()
