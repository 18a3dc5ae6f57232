"""Distil mnist-ldm into a latent consistency model (genviz `mnist-lcm`), as latent consistency distillation
(Luo et al. 2023; diffusers' examples/consistency_distillation/train_lcm_distill_sd_wds.py) does for Stable Diffusion.

    OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 models/mnist-lcm/train.py --minutes 90 --threads 2 [--resume]

Per step, for a batch of training latents x0 (mnist-autoencoder posterior samples * scaling_factor, as mnist-ldm
was trained on), labels y (null with probability p_uncond) and guidance scales w ~ U[w_min, w_max]:
  1. a DDIM timestep t_n = 20 (n + 1) - 1 (n uniform in 0..49) and t_{n-1} = max(t_n - 20, 0); x_t = noised x0;
  2. the frozen teacher (mnist-ldm) takes one guided DDIM step t_n -> t_{n-1} from x_t:
     eps = eps(null) + w (eps(y) - eps(null)), x0_hat from eps, x_prev = sqrt(a_prev) x0_hat + sqrt(1 - a_prev) eps
     (a_prev at t = 0 is alphas_cumprod[0], diffusers' DDIMSolver);
  3. the student f(x, t) = c_skip(t) x + c_out(t) x0(eps_student(x, t, y, w)) at (x_t, t_n) is pulled to the target
     network's f at (x_prev, t_{n-1}) (no gradient) with the pseudo-Huber loss (c = 0.001);
  4. the target network is an EMA (0.95) of the student; a slower EMA (0.999) of the student is what ships.
c_skip, c_out are LCMScheduler's boundary conditions (sigma_data 0.5, timestep_scaling 10), so core's LCMScheduler
samples the result exactly as in training. The student starts as a copy of the teacher (guidance_proj at zero).
Every --eval-minutes, 200 samples per step count (1, 2, 4) are drawn with guidance 3 and judged by mnist-classifier.
After every epoch unet.safetensors (the 0.999 EMA) and train-state.pt (git-ignored) are written.
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
from common import MODELS_DIR, count_params, import_model, load_config, load_state_dict, save_state_dict  # noqa: E402
from lcm import alphas_cumprod, boundary_scalings, lcm_sample  # noqa: E402

import importlib.util  # noqa: E402

_spec = importlib.util.spec_from_file_location("mnist_ldm_train", os.path.join(MODELS_DIR, "mnist-ldm", "train.py"))
_ldm_train = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_ldm_train)


def pseudo_huber(a, b, c):
    return (torch.sqrt((a - b) ** 2 + c * c) - c).mean()


def x0_from_eps(x, eps, a):
    return (x - (1 - a).sqrt() * eps) / a.sqrt()


@torch.no_grad()
def quick_eval(net, clf, dec, scale, sched, null, seed=0, n=200, steps=(1, 2, 4), guidance=3.0):
    net.eval()
    labels = torch.arange(10).repeat_interleave(n // 10)
    out = {}
    for k in steps:
        z = lcm_sample(net, sched, labels, (4, 7, 7), k, guidance, torch.Generator().manual_seed(seed))
        imgs = dec(z / scale)
        pred = clf(imgs).argmax(1)
        out[k] = (pred == labels).float().mean().item()
    zu = lcm_sample(net, sched, torch.full((n,), null, dtype=torch.long), (4, 7, 7), 4, guidance,
                    torch.Generator().manual_seed(seed + 1))
    pu = clf(dec(zu / scale)).argmax(1)
    h = np.bincount(pu.numpy(), minlength=10) / n
    out["null_bits"] = float(-(h[h > 0] * np.log2(h[h > 0])).sum())
    return out


@torch.no_grad()
def teacher_pairs(teacher, ac, null, args, generator):
    """(x_T, label, w, x_0) with x_0 the teacher's guided DDIM sample (leading spacing, eta 0) from x_T."""
    n = args.direct_pairs
    labels = torch.randint(0, 10, (n,), generator=generator)
    labels[torch.rand(n, generator=generator) < args.p_uncond] = null
    w = args.w_min + (args.w_max - args.w_min) * torch.rand(n, generator=generator)
    x_T = torch.randn(n, 4, 7, 7, generator=generator)
    T = len(ac)
    ratio = T // args.direct_steps
    ts = [int(v) for v in (np.arange(0, args.direct_steps) * ratio)[::-1]]
    out = []
    for s in range(0, n, 256):
        x, y, ws = x_T[s:s + 256], labels[s:s + 256], w[s:s + 256].view(-1, 1, 1, 1)
        b = len(y)
        for t in ts:
            tt = torch.full((2 * b,), float(t))
            eps_both = teacher(torch.cat([x, x]), tt, torch.cat([y, torch.full_like(y, null)]))
            eps = eps_both[b:] + ws * (eps_both[:b] - eps_both[b:])
            a_t = ac[t]
            a_prev = ac[t - ratio] if t - ratio >= 0 else torch.tensor(1.0)
            x = a_prev.sqrt() * x0_from_eps(x, eps, a_t) + (1 - a_prev).sqrt() * eps
        out.append(x)
    return x_T, labels, w, torch.cat(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=90.0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=2e-4)
    ap.add_argument("--min-lr-frac", type=float, default=0.05)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--p-uncond", type=float, default=0.1)
    ap.add_argument("--w-min", type=float, default=1.0)
    ap.add_argument("--w-max", type=float, default=8.0)
    ap.add_argument("--target-ema", type=float, default=0.95)
    ap.add_argument("--ema", type=float, default=0.999)
    ap.add_argument("--huber-c", type=float, default=0.001)
    ap.add_argument("--eval-minutes", type=float, default=10.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--mnist-dir", default=None)
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--direct-pairs", type=int, default=0,
                    help="also pull the one-step output f(x_T, T) towards the teacher's own guided DDIM sample "
                         "from the same noise, on this many pairs drawn once before training (0: off)")
    ap.add_argument("--direct-steps", type=int, default=25, help="the teacher's DDIM steps for those samples")
    ap.add_argument("--direct-batch", type=int, default=64)
    ap.add_argument("--direct-weight", type=float, default=1.0)
    ap.add_argument("--init", default=None,
                    help="start the student, target and EMA from this mnist-lcm checkpoint instead of the teacher "
                         "(a second phase, e.g. on a coarser solver grid: original_inference_steps in config.json)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    config = load_config("mnist-lcm")
    sched = config["scheduler"]
    null = config["architecture"]["null_class"]
    t_cfg = load_config("mnist-ldm")
    teacher = load_state_dict(os.path.join(MODELS_DIR, "mnist-ldm", "unet.safetensors"),
                              import_model("mnist-ldm").build(t_cfg)).eval()
    for p in teacher.parameters():
        p.requires_grad_(False)
    student = import_model("mnist-lcm").build(config)
    missing, unexpected = student.load_state_dict(teacher.state_dict(), strict=False)
    assert missing == ["guidance_proj.weight"] and not unexpected, (missing, unexpected)
    if args.init:
        load_state_dict(args.init, student)
        print(f"student initialised from {args.init}", flush=True)
    target = copy.deepcopy(student).eval()
    ema = copy.deepcopy(student).eval()
    for p in list(target.parameters()) + list(ema.parameters()):
        p.requires_grad_(False)
    print(f"params {count_params(student)} (teacher {count_params(teacher)})", flush=True)

    M, LV, Y, scale = _ldm_train.encode_training_digits(args.mnist_dir)
    if scale != config["sampling"]["latent"]["scaling_factor"] or scale != t_cfg["sampling"]["latent"]["scaling_factor"]:
        raise SystemExit("mnist-lcm, mnist-ldm and mnist-autoencoder disagree on the latent scaling_factor")
    S = torch.exp(0.5 * LV)
    ac = alphas_cumprod(sched)
    T = sched["num_train_timesteps"]
    k = T // sched["original_inference_steps"]
    ddim_ts = torch.arange(1, sched["original_inference_steps"] + 1) * k - 1  # 19, 39, ..., 999

    clf = import_model("mnist-classifier").build(load_config("mnist-classifier"))
    load_state_dict(os.path.join(MODELS_DIR, "mnist-classifier", "classifier.safetensors"), clf).eval()
    ae_cfg = load_config("mnist-autoencoder")
    _, dec = import_model("mnist-autoencoder").build(ae_cfg)
    load_state_dict(os.path.join(MODELS_DIR, "mnist-autoencoder", "decoder.safetensors"), dec).eval()

    direct = None
    if args.direct_pairs:
        t0 = time.time()
        direct = teacher_pairs(teacher, ac, null, args, torch.Generator().manual_seed(args.seed + 7))
        print(f"{args.direct_pairs} teacher pairs (DDIM {args.direct_steps}) in {time.time() - t0:.0f} s", flush=True)
    t_max = torch.full((args.direct_batch,), T - 1)
    c_skip_max, c_out_max = boundary_scalings(t_max, sched["timestep_scaling"])

    opt = torch.optim.AdamW(student.parameters(), lr=args.lr, weight_decay=0.0)
    state_path = os.path.join(HERE, "train-state.pt")
    step, epoch, elapsed_before, history, evals = 0, 0, 0.0, [], []
    if args.resume and os.path.exists(state_path):
        st = torch.load(state_path)
        student.load_state_dict(st["model"]); target.load_state_dict(st["target"]); ema.load_state_dict(st["ema"])
        opt.load_state_dict(st["opt"])
        step, epoch, elapsed_before, history, evals = st["step"], st["epoch"], st["elapsed"], st["history"], st["evals"]
        torch.set_rng_state(st["rng"])
        print(f"resumed at epoch {epoch} step {step} ({elapsed_before / 60:.1f} min)", flush=True)

    if not evals:
        e = quick_eval(student, clf, dec, scale, sched, null)
        evals.append({"step": 0, "minutes": 0.0, "ema": e})
        print(f"eval step 0 (the teacher as a consistency model): {e}", flush=True)
    budget = args.minutes * 60.0
    t_start = time.time() - elapsed_before
    next_eval = (time.time() - t_start) + args.eval_minutes * 60
    n = len(M)
    done = False
    while not done:
        student.train()
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
            b = len(idx)
            x0 = (M[idx] + S[idx] * torch.randn_like(M[idx])) * scale
            y = Y[idx].clone()
            y[torch.rand(b) < args.p_uncond] = null
            w = args.w_min + (args.w_max - args.w_min) * torch.rand(b)
            nidx = torch.randint(0, len(ddim_ts), (b,))
            t_n = ddim_ts[nidx]
            t_prev = (t_n - k).clamp(min=0)
            a_n = ac[t_n].view(-1, 1, 1, 1)
            a_prev = torch.where(t_n - k >= 0, ac[t_prev], ac[0]).view(-1, 1, 1, 1)
            x_t = a_n.sqrt() * x0 + (1 - a_n).sqrt() * torch.randn_like(x0)

            with torch.no_grad():
                eps_both = teacher(torch.cat([x_t, x_t]), torch.cat([t_n, t_n]).float(),
                                   torch.cat([y, torch.full_like(y, null)]))
                eps_c, eps_u = eps_both[:b], eps_both[b:]
                eps_t = eps_u + w.view(-1, 1, 1, 1) * (eps_c - eps_u)
                x_prev = a_prev.sqrt() * x0_from_eps(x_t, eps_t, a_n) + (1 - a_prev).sqrt() * eps_t
                c_skip, c_out = boundary_scalings(t_prev, sched["timestep_scaling"])
                a_tp = ac[t_prev].view(-1, 1, 1, 1)
                target_x0 = x0_from_eps(x_prev, target(x_prev, t_prev.float(), y, w), a_tp)
                target_f = c_skip * x_prev + c_out * target_x0

            c_skip_n, c_out_n = boundary_scalings(t_n, sched["timestep_scaling"])
            student_f = c_skip_n * x_t + c_out_n * x0_from_eps(x_t, student(x_t, t_n.float(), y, w), a_n)
            loss = pseudo_huber(student_f, target_f, args.huber_c)
            if direct is not None:
                # The one-step sample from pure noise, against the teacher's many-step sample.
                pick = torch.randint(0, args.direct_pairs, (args.direct_batch,))
                xT, yT, wT, x0T = (v[pick] for v in direct)
                aT = ac[T - 1]
                one_step = c_skip_max * xT + c_out_max * x0_from_eps(xT, student(xT, t_max.float(), yT, wT), aT)
                loss = loss + args.direct_weight * pseudo_huber(one_step, x0T, args.huber_c)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(student.parameters(), 1.0)
            opt.step()
            step += 1
            d = min(args.ema, (1 + step) / (10 + step))
            with torch.no_grad():
                for pt, pe, pm in zip(target.parameters(), ema.parameters(), student.parameters()):
                    pt.mul_(args.target_ema).add_(pm.detach(), alpha=1 - args.target_ema)
                    pe.mul_(d).add_(pm.detach(), alpha=1 - d)
            tot += loss.item() * b; cnt += b
            if time.time() - t_start >= next_eval:
                e = quick_eval(ema, clf, dec, scale, sched, null)
                evals.append({"step": step, "minutes": (time.time() - t_start) / 60, "ema": e})
                print(f"eval step {step} ({(time.time() - t_start) / 60:.1f} min): {e}", flush=True)
                next_eval = (time.time() - t_start) + args.eval_minutes * 60
                student.train()
        epoch += 1
        elapsed = time.time() - t_start
        history.append({"epoch": epoch, "step": step, "loss": tot / cnt, "lr": lr, "minutes": elapsed / 60})
        print(f"epoch {epoch} step {step} loss {tot / cnt:.5f} lr {lr:.2e} epoch_s {time.time() - t_ep:.1f} "
              f"elapsed {elapsed / 60:.1f} min", flush=True)
        save_state_dict(os.path.join(HERE, "unet.safetensors"), ema)
        torch.save({"model": student.state_dict(), "target": target.state_dict(), "ema": ema.state_dict(),
                    "opt": opt.state_dict(), "step": step, "epoch": epoch, "elapsed": elapsed, "history": history,
                    "evals": evals, "rng": torch.get_rng_state()}, state_path + ".tmp")
        os.replace(state_path + ".tmp", state_path)
        with open(os.path.join(HERE, "train-history.json"), "w") as f:
            json.dump({"args": vars(args), "params": count_params(student), "epochs": history, "evals": evals}, f, indent=1)
        done = elapsed >= budget
    e = quick_eval(ema, clf, dec, scale, sched, null)
    evals.append({"step": step, "minutes": (time.time() - t_start) / 60, "ema": e})
    print(f"final eval: {e}", flush=True)
    with open(os.path.join(HERE, "train-history.json"), "w") as f:
        json.dump({"args": vars(args), "params": count_params(student), "epochs": history, "evals": evals}, f, indent=1)
    # by path: importing mnist-ldm/train.py put mnist-ldm first on sys.path, with its own reference.py
    spec = importlib.util.spec_from_file_location("mnist_lcm_reference", os.path.join(HERE, "reference.py"))
    reference = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(reference)
    reference.write_reference()
    print(f"done: {epoch} epochs, {step} steps, {(time.time() - t_start) / 60:.1f} min", flush=True)


if __name__ == "__main__":
    main()
