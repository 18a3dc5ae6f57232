"""Train the class-conditional latent-diffusion UNet (genviz `mnist-ldm`) on mnist-autoencoder's latents.

    OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 models/mnist-ldm/train.py --minutes 45 --threads 1 [--mnist-dir DIR] [--resume]

Data: the 9,000 training digits (fixed split, ../mnist-data) encoded once by ../mnist-autoencoder's encoder
(mean and logvar); every batch draws a fresh posterior sample z = mean + exp(logvar/2) * eps and trains on
z * scaling_factor (the autoencoder's config.json; a fresh run copies it into this config.json as
"sampling.latent.scaling_factor", where the runtime reads it; --resume refuses a different one),
as diffusers' text-to-image training does with `latent_dist.sample() * vae.config.scaling_factor`.
Recipe otherwise as ../mnist-ddpm/train.py: epsilon-prediction MSE, t uniform in 0..999 on the diffusers DDPM
schedule (linear betas 1e-4..0.02), label replaced by the null label 10 with probability p_uncond, AdamW
(lr 1e-3 after 200 warm-up steps), cosine decay to 2% over the wall-clock budget, batch 128, grad-norm clip 1,
EMA 0.999 ((1+n)/(10+n) warm-up); the EMA weights ship. After every epoch unet.safetensors (EMA) and
train-state.pt (git-ignored) are written.
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
from common import MODELS_DIR, count_params, import_model, load_config, load_split, load_state_dict, save_state_dict  # noqa: E402
from diffusion import alphas_cumprod  # noqa: E402


@torch.no_grad()
def encode_training_digits(mnist_dir=None):
    ae_cfg = load_config("mnist-autoencoder")
    enc, _ = import_model("mnist-autoencoder").build(ae_cfg)
    load_state_dict(os.path.join(MODELS_DIR, "mnist-autoencoder", "encoder.safetensors"), enc).eval()
    tr_x, tr_y, _, _ = load_split(mnist_dir)
    X = torch.from_numpy(tr_x).float().div(255).unsqueeze(1)
    ms, lvs = zip(*[enc(X[i:i + 500]) for i in range(0, len(X), 500)])
    return torch.cat(ms), torch.cat(lvs), torch.from_numpy(tr_y).long(), ae_cfg["scaling_factor"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=45.0)
    ap.add_argument("--max-epochs", type=int, default=100000)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=1e-3)
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

    config = load_config("mnist-ldm")
    sched = config["scheduler"]
    null = config["architecture"]["null_class"]
    unet = import_model("mnist-ldm").build(config)
    ema = copy.deepcopy(unet).eval()
    for p in ema.parameters():
        p.requires_grad_(False)
    print(f"params {count_params(unet)}", flush=True)

    M, LV, Y, scale = encode_training_digits(args.mnist_dir)
    if config["sampling"]["latent"]["scaling_factor"] != scale:
        if args.resume:
            raise SystemExit(f"mnist-autoencoder scaling_factor {scale} != mnist-ldm sampling.latent.scaling_factor "
                             f"{config['sampling']['latent']['scaling_factor']}: the checkpoint belongs to another autoencoder")
        # a fresh UNet is tied to this autoencoder: record its factor where the runtime reads it
        cfg_path = os.path.join(HERE, "config.json")
        with open(cfg_path) as f:
            raw = json.load(f)
        raw["sampling"]["latent"]["scaling_factor"] = scale
        with open(cfg_path, "w") as f:
            json.dump(raw, f, indent=2)
            f.write("\n")
        print(f"sampling.latent.scaling_factor := {scale} (mnist-autoencoder's)", flush=True)
    S = torch.exp(0.5 * LV)
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
    n = len(M)
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
            x0 = (M[idx] + S[idx] * torch.randn_like(M[idx])) * scale
            y = Y[idx].clone()
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
