"""Train the class-conditional UNet (genviz `mnist-ddpm`).

    OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 models/mnist-ddpm/train.py --minutes 88 --threads 2 [--mnist-dir DIR] [--resume]

(the shipped run: 64 epochs, 4,480 steps, 89.1 min on the shared 2-core VM; train-history.json)

Recipe: 9,000 training digits (fixed split, see ../mnist-data), pixels scaled to [-1, 1], no augmentation.
Epsilon-prediction MSE, timesteps uniform in 0..999 on diffusers' DDPM schedule (linear betas 1e-4..0.02).
Classifier-free guidance training: the label is replaced by the null label 10 with probability p_uncond.
AdamW (lr 8e-4 after 200 warm-up steps, weight decay 0), lr cosine-decayed to 2% over the wall-clock budget,
batch 128, grad-norm clip 1.0, EMA of the weights (decay 0.999 with the usual (1+n)/(10+n) warm-up).
After every epoch the EMA weights are written to unet.safetensors (what ships) and the full state to
train-state.pt (git-ignored) so a stopped run loses at most one epoch.
"""
import argparse
import copy
import json
import math
import os
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, HERE)
from common import count_params, import_model, load_config, load_split, save_state_dict  # noqa: E402
from diffusion import alphas_cumprod  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=88.0)
    ap.add_argument("--max-epochs", type=int, default=1000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=8e-4)
    ap.add_argument("--min-lr-frac", type=float, default=0.02)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--p-uncond", type=float, default=0.15)
    ap.add_argument("--ema", type=float, default=0.999)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--mnist-dir", default=None)
    ap.add_argument("--resume", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)

    config = load_config("mnist-ddpm")
    sched = config["scheduler"]
    null = config["architecture"]["null_class"]
    unet = import_model("mnist-ddpm").build(config)
    ema = copy.deepcopy(unet).eval()
    for p in ema.parameters():
        p.requires_grad_(False)
    print(f"params {count_params(unet)}", flush=True)

    tr_x, tr_y, _, _ = load_split(args.mnist_dir)
    X = torch.from_numpy(tr_x).float().div(255.0).mul(2).sub(1).unsqueeze(1)
    Y = torch.from_numpy(tr_y).long()
    ac = alphas_cumprod(sched)
    T = sched["num_train_timesteps"]

    opt = torch.optim.AdamW(unet.parameters(), lr=args.lr, weight_decay=0.0)
    state_path = os.path.join(HERE, "train-state.pt")
    step, epoch, elapsed_before, history = 0, 0, 0.0, []
    if args.resume and os.path.exists(state_path):
        st = torch.load(state_path)
        unet.load_state_dict(st["model"]); ema.load_state_dict(st["ema"]); opt.load_state_dict(st["opt"])
        step, epoch, elapsed_before, history = st["step"], st["epoch"], st["elapsed"], st["history"]
        torch.set_rng_state(st["rng"])
        print(f"resumed at epoch {epoch} step {step} ({elapsed_before / 60:.1f} min)", flush=True)

    budget = args.minutes * 60.0
    t_start = time.time() - elapsed_before
    n = len(X)
    while epoch < args.max_epochs:
        unet.train()
        perm = torch.randperm(n)
        tot, cnt = 0.0, 0
        t_ep = time.time()
        for i in range(0, n - args.batch + 1, args.batch):
            frac = min(1.0, (time.time() - t_start) / budget)
            lr = args.lr * (args.min_lr_frac + (1 - args.min_lr_frac) * 0.5 * (1 + math.cos(math.pi * frac)))
            lr *= min(1.0, (step + 1) / args.warmup)
            for g in opt.param_groups:
                g["lr"] = lr
            idx = perm[i:i + args.batch]
            x0, y = X[idx], Y[idx].clone()
            y[torch.rand(len(y)) < args.p_uncond] = null
            t = torch.randint(0, T, (len(y),))
            noise = torch.randn_like(x0)
            a = ac[t].view(-1, 1, 1, 1)
            xt = a.sqrt() * x0 + (1 - a).sqrt() * noise
            loss = torch.nn.functional.mse_loss(unet(xt, t.float(), y), noise)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(unet.parameters(), 1.0)
            opt.step()
            step += 1
            d = min(args.ema, (1 + step) / (10 + step))
            with torch.no_grad():
                for pe, pm in zip(ema.parameters(), unet.parameters()):
                    pe.mul_(d).add_(pm.detach(), alpha=1 - d)
            tot += loss.item() * len(y); cnt += len(y)
        epoch += 1
        elapsed = time.time() - t_start
        history.append({"epoch": epoch, "step": step, "loss": tot / cnt, "lr": lr, "minutes": elapsed / 60})
        print(f"epoch {epoch} step {step} loss {tot / cnt:.4f} lr {lr:.2e} epoch_s {time.time() - t_ep:.1f} "
              f"elapsed {elapsed / 60:.1f} min", flush=True)
        save_state_dict(os.path.join(HERE, "unet.safetensors"), ema)
        torch.save({"model": unet.state_dict(), "ema": ema.state_dict(), "opt": opt.state_dict(), "step": step,
                    "epoch": epoch, "elapsed": elapsed, "history": history, "rng": torch.get_rng_state()},
                   state_path + ".tmp")
        os.replace(state_path + ".tmp", state_path)
        with open(os.path.join(HERE, "train-history.json"), "w") as f:
            json.dump({"args": vars(args), "params": count_params(unet), "epochs": history}, f, indent=1)
        if elapsed >= budget:
            break
    from reference import write_reference
    write_reference()
    print(f"done: {epoch} epochs, {step} steps, {(time.time() - t_start) / 60:.1f} min", flush=True)


if __name__ == "__main__":
    main()
