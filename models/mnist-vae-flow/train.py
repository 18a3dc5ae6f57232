"""Train the class-conditional 2-D latent denoiser (genviz `mnist-vae-flow`).

    OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 models/mnist-vae-flow/train.py [--steps 8000] [--threads 1] [--mnist-dir DIR]

Data: the 9,000 training digits (fixed split, ../mnist-data) encoded once by ../mnist-vae's encoder; the
points are the encoder means (the coordinates the latent map draws), unscaled (their std is already ~1:
config.json "sampling.latent.scaling_factor" 1). Recipe: epsilon-prediction MSE, t uniform in 0..999 on mnist-ddpm's
diffusers DDPM schedule (linear betas 1e-4..0.02), label replaced by the null label 10 with probability
p_uncond, AdamW lr 2e-3 after 200 warm-up steps, cosine to 2%, batch 1024 (points drawn with replacement),
EMA 0.999 ((1+n)/(10+n) warm-up); the EMA weights ship. Writes denoiser.safetensors, reference.safetensors,
train-history.json.
"""
import argparse
import copy
import json
import math
import os
import sys
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
from common import (MODELS_DIR, count_params, import_model, load_config, load_safetensors, load_split,  # noqa: E402
                    load_state_dict, save_safetensors, save_state_dict)

sys.path.insert(0, os.path.join(MODELS_DIR, "mnist-ldm"))
from diffusion import alphas_cumprod  # noqa: E402


@torch.no_grad()
def vae_training_latents(mnist_dir=None):
    cfg = load_config("mnist-vae")
    enc, _ = import_model("mnist-vae").build(cfg)
    load_state_dict(os.path.join(MODELS_DIR, "mnist-vae", "encoder.safetensors"), enc).eval()
    tr_x, tr_y, _, _ = load_split(mnist_dir)
    X = torch.from_numpy(tr_x).float().div(255).unsqueeze(1)
    return torch.cat([enc(X[i:i + 500])[0] for i in range(0, len(X), 500)]), torch.from_numpy(tr_y).long()


def write_reference(model, sched):
    """8 held-out latent points noised to timesteps 0, 20, 100, 250, 500, 750, 980, 999, labels 0,1,2,3,10,5,10,7."""
    lat = load_safetensors(os.path.join(MODELS_DIR, "mnist-vae", "heldout-latents.safetensors"))["mean"]
    x0 = torch.from_numpy(lat[[0, 100, 200, 300, 400, 500, 600, 700]]).float()
    t = torch.tensor([0, 20, 100, 250, 500, 750, 980, 999])
    labels = torch.tensor([0, 1, 2, 3, 10, 5, 10, 7], dtype=torch.int64)
    a = alphas_cumprod(sched)[t].view(-1, 1)
    noise = torch.randn(x0.shape, generator=torch.Generator().manual_seed(3))
    sample = a.sqrt() * x0 + (1 - a).sqrt() * noise
    with torch.no_grad():
        out = model(sample, t.float(), labels)
    save_safetensors(os.path.join(HERE, "reference.safetensors"), {
        "denoiser.sample": sample, "denoiser.timestep": t.float(), "denoiser.class_label": labels,
        "denoiser.noise_pred": out})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=8000)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch", type=int, default=1024)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--p-uncond", type=float, default=0.15)
    ap.add_argument("--ema", type=float, default=0.999)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--mnist-dir", default=None)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    config = load_config("mnist-vae-flow")
    sched = config["scheduler"]
    null = config["architecture"]["null_class"]
    scale = config["sampling"]["latent"]["scaling_factor"]
    model = import_model("mnist-vae-flow").build(config)
    ema = copy.deepcopy(model).eval()
    for p in ema.parameters():
        p.requires_grad_(False)
    print(f"params {count_params(model)}", flush=True)
    Z, Y = vae_training_latents(args.mnist_dir)
    Z = Z * scale
    ac = alphas_cumprod(sched)
    T = sched["num_train_timesteps"]
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.0)
    t0 = time.time()
    history, tot = [], 0.0
    for step in range(1, args.steps + 1):
        lr = args.lr * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * step / args.steps))) * min(1.0, step / args.warmup)
        for g in opt.param_groups:
            g["lr"] = lr
        idx = torch.randint(0, len(Z), (args.batch,))
        x0, y = Z[idx], Y[idx].clone()
        y[torch.rand(len(y)) < args.p_uncond] = null
        t = torch.randint(0, T, (len(y),))
        noise = torch.randn_like(x0)
        a = ac[t].view(-1, 1)
        loss = torch.nn.functional.mse_loss(model(a.sqrt() * x0 + (1 - a).sqrt() * noise, t.float(), y), noise)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        d = min(args.ema, (1 + step) / (10 + step))
        with torch.no_grad():
            for pe, pm in zip(ema.parameters(), model.parameters()):
                pe.mul_(d).add_(pm.detach(), alpha=1 - d)
        tot += loss.item()
        if step % 500 == 0:
            history.append({"step": step, "loss": tot / 500, "lr": lr, "seconds": time.time() - t0})
            print(f"step {step} loss {tot / 500:.4f} lr {lr:.2e} ({time.time() - t0:.0f}s)", flush=True)
            tot = 0.0
    secs = time.time() - t0
    save_state_dict(os.path.join(HERE, "denoiser.safetensors"), ema)
    write_reference(ema, sched)
    with open(os.path.join(HERE, "train-history.json"), "w") as f:
        json.dump({"args": vars(args), "params": count_params(model), "train_seconds": secs, "history": history}, f, indent=1)
    print(f"done in {secs:.0f}s", flush=True)


if __name__ == "__main__":
    main()
