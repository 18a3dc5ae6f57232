"""DDPM training noise schedule and a DDIM sampler that mirrors diffusers' DDIMScheduler
(timestep_spacing "leading", eta 0, set_alpha_to_one, clip_sample, use_clipped_model_output False)
with classifier-free guidance. Used by train.py and ../metrics.py."""
import numpy as np
import torch


def alphas_cumprod(sched):
    assert sched["beta_schedule"] == "linear"
    # exactly as diffusers: float32 linspace, float32 cumprod
    betas = torch.linspace(sched["beta_start"], sched["beta_end"], sched["num_train_timesteps"], dtype=torch.float32)
    return torch.cumprod(1.0 - betas, dim=0)


def ddim_timesteps(sched, num_inference_steps):
    assert sched["timestep_spacing"] == "leading"
    step_ratio = sched["num_train_timesteps"] // num_inference_steps
    ts = (np.arange(0, num_inference_steps) * step_ratio).round()[::-1].astype(np.int64)
    return ts + sched["steps_offset"], step_ratio


@torch.no_grad()
def ddim_sample(unet, sched, labels, steps=50, guidance_scale=3.0, generator=None, set_alpha_to_one=True,
                batch_size=250, null_label=10, use_clipped_model_output=False):
    """labels: int64 tensor [N] (0..9, or null_label for unconditional). Returns images in [-1,1], [N,1,28,28].
    With guidance_scale == 1 or label == null only the conditional call is needed; we still follow the
    browser's scheme (cond + null in one batch) whenever guidance_scale != 1."""
    ac = alphas_cumprod(sched)
    final_ac = torch.tensor(1.0) if set_alpha_to_one else ac[0]
    ts, ratio = ddim_timesteps(sched, steps)
    out = []
    for s in range(0, len(labels), batch_size):
        y = labels[s:s + batch_size]
        n = len(y)
        x = torch.randn(n, 1, 28, 28, generator=generator)
        for t in ts:
            tt = torch.full((n,), float(t))
            if guidance_scale != 1.0:
                eps_both = unet(torch.cat([x, x]), torch.cat([tt, tt]),
                                torch.cat([y, torch.full_like(y, null_label)]))
                eps_c, eps_u = eps_both[:n], eps_both[n:]
                eps = eps_u + guidance_scale * (eps_c - eps_u)
            else:
                eps = unet(x, tt, y)
            a_t = ac[t]
            prev = t - ratio
            a_prev = ac[prev] if prev >= 0 else final_ac
            x0 = (x - (1 - a_t).sqrt() * eps) / a_t.sqrt()
            if sched.get("clip_sample", False):
                r = sched.get("clip_sample_range", 1.0)
                x0 = x0.clamp(-r, r)
                if use_clipped_model_output:  # re-derive eps from the clipped x0 (diffusers option, as in GLIDE)
                    eps = (x - a_t.sqrt() * x0) / (1 - a_t).sqrt()
            x = a_prev.sqrt() * x0 + (1 - a_prev).sqrt() * eps
        out.append(x)
    return torch.cat(out)
