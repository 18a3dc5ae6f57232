"""Train the DCGAN (genviz `mnist-dcgan`; `mnist-dcgan-collapsed/train.py` reuses this with a collapsing recipe).

    /usr/bin/python3 models/mnist-dcgan/train.py [--threads 1] [--mnist-dir DIR] [--out-dir DIR]

Recipe (healthy, the defaults of `python3 train.py`, see DCGAN_DEFAULTS): 9,000 training digits (fixed
split), pixels scaled to [-1,1]. Generator channels, discriminator dropout and the generator's categorical code
(10: the largest of latent[:10] picks the digit) come from config.json. Non-saturating GAN loss (BCE with
logits), one-sided label smoothing (real target 0.9), R1 penalty gamma 1 on real digits (no spectral norm),
AC-GAN: a linear Q head on D's features learns the labels of real digits and the code of fakes, G is rewarded
when Q reads its code back (weight 1). Adam lr 2e-4 betas (0, 0.9) for both networks (constant; --lr-decay-start N
decays both linearly to 0 after epoch N, off by default), one D step then one G step per batch of 64, latent
Z = 64 standard normal, 100 epochs. docs/decisions/0005 says why.
The shipped generator is an exponential moving average of the generator weights (decay 0.999, --g-ema),
with its BatchNorm running statistics re-estimated on 50 batches of 64 latents at each snapshot.
Snapshots of the generator (eval-mode weights incl. BatchNorm running stats) go to
snapshots/generator-NN.safetensors, and the discriminator's at the same moment (eval-mode weights) to
snapshots/discriminator-NN.safetensors: 00 = initial weights, then at the end of the epochs in --snapshot-epochs
(the last one is the final epoch). For every snapshot history.json records the discriminator's mean P(real)
(sigmoid of its logit, eval mode) on the 1,000 held-out real digits (d_real) and on 1,000 fakes (d_fake).

get_parser() keeps the older defaults (no spectral norm, constant lr, 75 epochs) because
mnist-dcgan-collapsed/train.py builds its recipe on them. --g-channels/--d-channels/--d-dropout override
config.json for trial runs (use them with --out-dir; the effective config.json is written there).
--diffaugment translation[,cutout] (off by default) turns on DiffAugment (Zhao et al. 2020) for trials: the
same random, differentiable augmentation of every batch D sees, real and fake, in the D step and the G step
(integer shift up to --da-translate px with -1 padding; a --da-cutout px square set to -1). Training-only:
networks and exported files are unchanged.
--no-spectral-norm --r1 G and --beta1/--beta2 swap spectral norm for the R1 penalty on real digits and set Adam's
betas. --info-code K gives the generator a K-way categorical code read from its latent (model.py) and trains it
InfoGAN-style (Chen et al. 2016): a linear Q head on the discriminator's features learns, with D, which code drew
each fake, and G is rewarded (--info-weight) for making that easy. --info-labels also trains Q on the real digits'
labels (AC-GAN, Odena et al. 2017), so that code k draws digit k. The Q head is training-only and not saved.
"""
import argparse
import copy
import json
import os
import sys
import time

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
from common import count_params, import_model, load_config, load_split, save_safetensors, save_state_dict  # noqa: E402


def init_weights(m):
    if isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d, torch.nn.Linear)):
        torch.nn.init.normal_(m.weight, 0.0, 0.02)
        torch.nn.init.zeros_(m.bias)
    elif isinstance(m, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d)):
        torch.nn.init.normal_(m.weight, 1.0, 0.02)
        torch.nn.init.zeros_(m.bias)


def get_parser():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model-id", default="mnist-dcgan")
    ap.add_argument("--epochs", type=int, default=75)
    ap.add_argument("--snapshot-epochs", default="1,2,4,8,14,22,32,45,60,75")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr-g", type=float, default=2e-4)
    ap.add_argument("--lr-d", type=float, default=2e-4)
    ap.add_argument("--beta1", type=float, default=0.5)
    ap.add_argument("--beta2", type=float, default=0.999)
    ap.add_argument("--r1", type=float, default=0.0,
                    help="R1 penalty weight gamma: D loss += gamma/2 * mean |grad_x D(real)|^2 (Mescheder et al. 2018)")
    ap.add_argument("--info-code", type=int, default=None,
                    help="trial override of config categorical_code (InfoGAN-style code read from the latent; 0 = off)")
    ap.add_argument("--info-weight", type=float, default=1.0,
                    help="weight of the InfoGAN mutual-information term (cross-entropy of a Q head on D's features "
                         "predicting the code of each fake), added to the D loss and the G loss")
    ap.add_argument("--g-steps", type=int, default=1, help="generator updates per discriminator update")
    ap.add_argument("--real-label", type=float, default=0.9)
    ap.add_argument("--g-ema", type=float, default=0.999,
                    help="ship an exponential moving average of the generator weights (0 = ship the raw generator)")
    ap.add_argument("--loss", choices=["bce", "hinge"], default="bce",
                    help="bce: non-saturating GAN loss with --real-label smoothing; hinge: hinge loss for D, -logit for G")
    ap.add_argument("--spectral-norm", action=argparse.BooleanOptionalAction, default=False,
                    help="spectral norm on every D layer during training (the saved discriminator holds weight/sigma)")
    ap.add_argument("--lr-decay-start", type=int, default=0,
                    help="decay both learning rates linearly to 0 over epochs lr-decay-start+1 .. epochs (0 = constant)")
    ap.add_argument("--g-channels", default=None, help="trial override of config generator_channels, e.g. 44,64")
    ap.add_argument("--d-channels", default=None, help="trial override of config discriminator_channels")
    ap.add_argument("--d-dropout", type=float, default=None, help="trial override of config discriminator_dropout")
    ap.add_argument("--diffaugment", default="",
                    help="DiffAugment (Zhao et al. 2020): comma list of translation,cutout applied to real and fake "
                         "images every time D sees them (D and G steps); empty = off")
    ap.add_argument("--da-translate", type=int, default=3, help="DiffAugment translation: max shift in pixels")
    ap.add_argument("--da-cutout", type=int, default=8, help="DiffAugment cutout: square side in pixels")
    ap.add_argument("--info-labels", action=argparse.BooleanOptionalAction, default=False,
                    help="also train the Q head on the real training digits with their labels (AC-GAN, Odena et al. "
                         "2017), so that code k comes to draw digit k (needs a categorical code of 10)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--mnist-dir", default=None)
    ap.add_argument("--out-dir", default=None, help="write here instead of models/<model-id> (for trial runs)")
    return ap


@torch.no_grad()
def d_means(G, D, real, z):
    G.eval(); D.eval()
    d_real = torch.sigmoid(D(real)).mean().item()
    d_fake = torch.sigmoid(D(G(z))).mean().item()
    return d_real, d_fake


def da_translation(x, shift):
    """Shift every image by its own random integer (dx, dy) in [-shift, shift]; vacated pixels = -1 (background)."""
    n, c, h, w = x.shape
    xp = F.pad(x, (shift, shift, shift, shift), value=-1.0)
    tx = torch.randint(-shift, shift + 1, (n, 1, 1))
    ty = torch.randint(-shift, shift + 1, (n, 1, 1))
    gy, gx = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
    idx = (gy[None] + ty + shift) * (w + 2 * shift) + (gx[None] + tx + shift)  # [n,h,w] into the padded image
    idx = idx.reshape(n, 1, h * w).expand(n, c, h * w)
    return xp.reshape(n, c, -1).gather(2, idx).reshape(n, c, h, w)


def da_cutout(x, size):
    """Set a random size x size square (centre anywhere in the image, clipped at the border) to -1 (background)."""
    n, c, h, w = x.shape
    cy = torch.randint(0, h, (n, 1, 1))
    cx = torch.randint(0, w, (n, 1, 1))
    gy, gx = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
    y0, x0 = cy - size // 2, cx - size // 2
    inside = (gy[None] >= y0) & (gy[None] < y0 + size) & (gx[None] >= x0) & (gx[None] < x0 + size)
    keep = (~inside).to(x.dtype).unsqueeze(1)
    return x * keep - (1 - keep)


def diff_augment(x, args):
    """Training-only differentiable augmentation (pure tensor ops, global torch RNG, so seeded runs repeat)."""
    for op in args.diffaugment.split(",") if args.diffaugment else ():
        if op == "translation":
            x = da_translation(x, args.da_translate)
        elif op == "cutout":
            x = da_cutout(x, args.da_cutout)
        else:
            raise SystemExit(f"unknown --diffaugment op {op}")
    return x


SN_LAYERS = (torch.nn.Conv2d, torch.nn.Linear)


def add_spectral_norm(D):
    from torch.nn.utils.parametrizations import spectral_norm
    for name, m in list(D.named_modules()):
        if isinstance(m, SN_LAYERS):
            spectral_norm(m)
    return D


@torch.no_grad()
def plain_discriminator(D, D_plain):
    """Copy D into D_plain (the model.py module); with spectral norm, the weights saved are the normalised
    weight_orig / sigma that D uses in eval mode, under the usual state-dict names."""
    if D_plain is D:
        return D
    D.eval()
    sd = {}
    for name, m in D.named_modules():
        if isinstance(m, SN_LAYERS):
            sd[f"{name}.weight"] = m.weight.detach().clone()  # parametrized: weight_orig / sigma (eval: no power step)
            sd[f"{name}.bias"] = m.bias.detach().clone()
    D_plain.load_state_dict(sd)
    return D_plain.eval()


def apply_overrides(config, args):
    arch = config["architecture"]
    if args.g_channels:
        arch["generator_channels"] = [int(c) for c in args.g_channels.split(",")]
    if args.d_channels:
        arch["discriminator_channels"] = [int(c) for c in args.d_channels.split(",")]
    if args.d_dropout is not None:
        arch["discriminator_dropout"] = args.d_dropout
    if args.info_code is not None:
        arch["categorical_code"] = args.info_code
    return config


def train(args):
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    out_dir = args.out_dir or os.path.join(os.path.dirname(HERE), args.model_id)
    snap_dir = os.path.join(out_dir, "snapshots")
    os.makedirs(snap_dir, exist_ok=True)
    config = apply_overrides(load_config(args.model_id), args)
    if args.out_dir:
        with open(os.path.join(out_dir, "config.json"), "w") as f:
            json.dump(config, f, indent=2)
    Z = config["architecture"]["latent_dim"]
    model = import_model(args.model_id)
    G, D = model.build(config)
    G.apply(init_weights); D.apply(init_weights)
    D_plain = D
    if args.spectral_norm:
        D_plain = model.build(config)[1]
        add_spectral_norm(D)
    print(f"params G {count_params(G)} D {count_params(D_plain)}", flush=True)
    tr_x, tr_y, he_x, _ = load_split(args.mnist_dir)
    Y = torch.from_numpy(tr_y).long()
    X = torch.from_numpy(tr_x).float().div(255).mul(2).sub(1).unsqueeze(1)
    HX = torch.from_numpy(he_x).float().div(255).mul(2).sub(1).unsqueeze(1)
    z_eval = torch.randn(1000, Z, generator=torch.Generator().manual_seed(1234))
    K = config["architecture"].get("categorical_code", 0)
    Q = None
    if K:
        # InfoGAN's Q head: a linear layer on the discriminator's last features, trained with D to tell
        # which code drew each fake; G is trained to make that easy. Training-only: not saved or exported.
        d1 = config["architecture"]["discriminator_channels"][1]
        Q = torch.nn.Linear(d1 * 7 * 7, K)
        init_weights(Q)
    if args.info_labels and K != 10:
        raise SystemExit("--info-labels needs a categorical code of 10 (one per digit)")

    def discriminate(x):
        """D's logit and, with a code, Q's code logits from the same features."""
        if Q is None:
            return D(x), None
        features = D.conv[:-1](x)
        return D.conv[-1](features), Q(features)

    def info_loss(q_logits, z):
        return args.info_weight * F.cross_entropy(q_logits, z[:, :K].argmax(1)) if K else 0.0

    opt_g = torch.optim.Adam(G.parameters(), lr=args.lr_g, betas=(args.beta1, args.beta2))
    opt_d = torch.optim.Adam(list(D.parameters()) + (list(Q.parameters()) if Q else []), lr=args.lr_d,
                             betas=(args.beta1, args.beta2))
    snap_epochs = sorted(int(e) for e in args.snapshot_epochs.split(","))
    history = []
    G_ema = copy.deepcopy(G) if args.g_ema > 0 else G

    def shipped_generator():
        """The raw generator, or its EMA with BatchNorm running stats re-estimated for the EMA weights."""
        if G_ema is G:
            return G
        for m in G_ema.modules():
            if isinstance(m, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d)):
                m.reset_running_stats(); m.momentum = None  # cumulative average
        G_ema.train()
        with torch.no_grad():
            gen = torch.Generator().manual_seed(99)
            for _ in range(50):
                G_ema(torch.randn(64, Z, generator=gen))
        G_ema.eval()
        return G_ema

    def snapshot(epoch, it):
        idx = len(history)
        rel = f"snapshots/generator-{idx:02d}.safetensors"
        Gs = shipped_generator()
        save_state_dict(os.path.join(out_dir, rel), Gs)
        Ds = plain_discriminator(D, D_plain)
        Ds.eval()
        rel_d = f"snapshots/discriminator-{idx:02d}.safetensors"
        save_state_dict(os.path.join(out_dir, rel_d), Ds)
        dr, df = d_means(Gs, Ds, HX, z_eval)
        history.append({"index": idx, "epoch": epoch, "iteration": it, "file": rel,
                        "discriminator_file": rel_d, "d_real": dr, "d_fake": df})
        print(f"snapshot {idx}: epoch {epoch} iteration {it} d_real {dr:.3f} d_fake {df:.3f}", flush=True)
        finish(args, Gs, Ds, HX, Z, out_dir, history, time.time() - t_start)

    t_start = t0 = time.time()
    snapshot(0, 0)
    it = 0
    spe = len(X) // args.batch
    total_it = spe * args.epochs
    decay_it0 = spe * args.lr_decay_start
    for ep in range(1, args.epochs + 1):
        perm = torch.randperm(len(X))
        sd = sg = 0.0
        for i in range(spe):
            if args.lr_decay_start > 0:
                f = 1.0 if it < decay_it0 else (total_it - it) / (total_it - decay_it0)
                for o, lr in ((opt_g, args.lr_g), (opt_d, args.lr_d)):
                    for grp in o.param_groups:
                        grp["lr"] = lr * f
            G.train(); D.train()
            batch_idx = perm[i * args.batch:(i + 1) * args.batch]
            real = X[batch_idx]
            n = len(real)
            z = torch.randn(n, Z)
            fake = G(z).detach()
            if args.r1 > 0:
                real.requires_grad_(True)
            lr_, q_real = discriminate(diff_augment(real, args))
            lf_, q_fake = discriminate(diff_augment(fake, args))
            if args.loss == "hinge":
                loss_d = F.relu(1 - lr_).mean() + F.relu(1 + lf_).mean()
            else:
                loss_d = F.binary_cross_entropy_with_logits(lr_, torch.full_like(lr_, args.real_label)) + \
                    F.binary_cross_entropy_with_logits(lf_, torch.zeros_like(lf_))
            if args.r1 > 0:
                (grad,) = torch.autograd.grad(lr_.sum(), real, create_graph=True)
                loss_d = loss_d + args.r1 / 2 * grad.pow(2).sum((1, 2, 3)).mean()
            loss_d = loss_d + info_loss(q_fake, z)
            if args.info_labels:
                loss_d = loss_d + args.info_weight * F.cross_entropy(q_real, Y[batch_idx])
            opt_d.zero_grad(); loss_d.backward(); opt_d.step()
            for _ in range(args.g_steps):
                z = torch.randn(n, Z)
                lg, q_gen = discriminate(diff_augment(G(z), args))
                if args.loss == "hinge":
                    loss_g = -lg.mean()
                else:
                    loss_g = F.binary_cross_entropy_with_logits(lg, torch.ones_like(lg))
                loss_g = loss_g + info_loss(q_gen, z)
                opt_g.zero_grad(); loss_g.backward(); opt_g.step()
            it += 1
            if G_ema is not G:
                d = min(args.g_ema, (1 + it) / (10 + it))
                with torch.no_grad():
                    for pe, pm in zip(G_ema.parameters(), G.parameters()):
                        pe.mul_(d).add_(pm.detach(), alpha=1 - d)
            sd += loss_d.item(); sg += loss_g.item()
        print(f"epoch {ep} loss_d {sd / spe:.3f} loss_g {sg / spe:.3f} ({time.time() - t0:.0f}s)", flush=True)
        if ep in snap_epochs or ep == args.epochs:
            snapshot(ep, it)
    print(f"done in {time.time() - t0:.0f}s", flush=True)


def finish(args, G, D, HX, Z, out_dir, history, train_seconds):
    """Write generator/discriminator/reference/history for the current state. Called at every snapshot,
    so the folder is always consistent (last snapshot == generator.safetensors) even if training stops early."""
    G.eval(); D.eval()
    save_state_dict(os.path.join(out_dir, "generator.safetensors"), G)
    save_state_dict(os.path.join(out_dir, "discriminator.safetensors"), D)
    with torch.no_grad():
        lat = torch.randn(8, Z, generator=torch.Generator().manual_seed(7))
        img = G(lat)
        ref_real = HX[torch.arange(0, 1000, 250)]
        d_in = torch.cat([ref_real, img[:4]])
        save_safetensors(os.path.join(out_dir, "reference.safetensors"), {
            "generator.latent": lat, "generator.image": img,
            "discriminator.image": d_in, "discriminator.logit": D(d_in)})
    with open(os.path.join(out_dir, "history.json"), "w") as f:
        json.dump({"snapshots": history, "latent_dim": Z, "train_seconds": train_seconds,
                   "recipe": {k: v for k, v in vars(args).items() if k not in ("mnist_dir", "out_dir")},
                   "d_fake_note": "1,000 fakes from a fixed latent batch (seed 1234), generator and discriminator in eval mode"},
                  f, indent=1)


# The shipped mnist-dcgan recipe (docs/decisions/0005). get_parser() keeps the older defaults because
# mnist-dcgan-collapsed/train.py builds its recipe on top of them.
DCGAN_DEFAULTS = dict(
    epochs=100,
    snapshot_epochs="1,2,4,8,14,22,32,45,60,80,100",
    r1=1.0,            # R1 on real digits instead of spectral norm
    beta1=0.0,
    beta2=0.9,
    info_labels=True,  # AC-GAN: config.json's categorical_code 10 learns to mean the digit
)

if __name__ == "__main__":
    ap = get_parser()
    ap.set_defaults(**DCGAN_DEFAULTS)
    train(ap.parse_args())
