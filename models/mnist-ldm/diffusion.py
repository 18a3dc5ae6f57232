"""DDIM sampling with classifier-free guidance for any sample shape, mirroring diffusers' DDIMScheduler
(timestep_spacing "leading", eta 0, set_alpha_to_one, clip_sample false): ../mnist-ddpm/diffusion.py's
sampler with the [1,28,28] shape made a parameter. Used by mnist-ldm, mnist-vae-flow and ../metrics.py."""
import importlib.util
import os

import torch

_spec = importlib.util.spec_from_file_location(
    "mnist_ddpm_diffusion", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "mnist-ddpm", "diffusion.py"))
_ddpm = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_ddpm)
alphas_cumprod = _ddpm.alphas_cumprod
ddim_timesteps = _ddpm.ddim_timesteps


@torch.no_grad()
def ddim_sample(model, sched, labels, shape, steps=50, guidance_scale=3.0, generator=None, set_alpha_to_one=True,
                batch_size=250, null_label=10, trajectory=False):
    """labels int64 [N]; shape: one sample's shape, e.g. (4, 7, 7) or (2,). Returns x_0 [N, *shape]
    (and, with trajectory=True, the list of x after each step, x_T first). Guidance evaluates [label, null]
    as one batch whenever guidance_scale != 1, as the browser does."""
    assert not sched.get("clip_sample", False)
    ac = alphas_cumprod(sched)
    final_ac = torch.tensor(1.0) if set_alpha_to_one else ac[0]
    ts, ratio = ddim_timesteps(sched, steps)
    out, traj = [], []
    for s in range(0, len(labels), batch_size):
        y = labels[s:s + batch_size]
        n = len(y)
        x = torch.randn(n, *shape, generator=generator)
        tr = [x]
        for t in ts:
            tt = torch.full((n,), float(t))
            if guidance_scale != 1.0:
                eps_both = model(torch.cat([x, x]), torch.cat([tt, tt]), torch.cat([y, torch.full_like(y, null_label)]))
                eps_c, eps_u = eps_both[:n], eps_both[n:]
                eps = eps_u + guidance_scale * (eps_c - eps_u)
            else:
                eps = model(x, tt, y)
            a_t = ac[t]
            prev = t - ratio
            a_prev = ac[prev] if prev >= 0 else final_ac
            x0 = (x - (1 - a_t).sqrt() * eps) / a_t.sqrt()
            x = a_prev.sqrt() * x0 + (1 - a_prev).sqrt() * eps
            if trajectory:
                tr.append(x)
        out.append(x)
        traj.append(torch.stack(tr, 1) if trajectory else None)
    if trajectory:
        return torch.cat(out), torch.cat(traj)
    return torch.cat(out)
