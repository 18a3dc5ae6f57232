"""LCM multistep sampling as diffusers' LCMScheduler (and core's LCMScheduler): timesteps from the 50-step
distillation schedule (20 (i + 1) - 1) at evenly spaced positions from the noisiest; per step
denoised = c_out x0(eps) + c_skip x, then, but for the last step, x = sqrt(a_prev) denoised + sqrt(1 - a_prev) noise.
Used by train.py (quick checks), reference.py and ../metrics.py."""
import numpy as np
import torch


def alphas_cumprod(sched):
    assert sched["beta_schedule"] == "linear"
    betas = torch.linspace(sched["beta_start"], sched["beta_end"], sched["num_train_timesteps"], dtype=torch.float32)
    return torch.cumprod(1.0 - betas, dim=0)


def boundary_scalings(t, timestep_scaling=10.0, sigma_data=0.5):
    """c_skip, c_out as [N,1,1,1] for integer timesteps t [N] (LCMScheduler.get_scalings_for_boundary_condition_discrete)."""
    s = t.float() * timestep_scaling
    c_skip = sigma_data ** 2 / (s ** 2 + sigma_data ** 2)
    c_out = s / (s ** 2 + sigma_data ** 2) ** 0.5
    return c_skip.view(-1, 1, 1, 1), c_out.view(-1, 1, 1, 1)


def lcm_timesteps(sched, steps):
    T, orig = sched["num_train_timesteps"], sched["original_inference_steps"]
    k = T // orig
    origin = (np.arange(1, orig + 1) * k - 1)[::-1]
    idx = np.floor(np.linspace(0, len(origin), num=steps, endpoint=False)).astype(np.int64)
    return [int(v) for v in origin[idx]]


@torch.no_grad()
def lcm_sample(net, sched, labels, shape, steps, guidance_scale, generator=None, batch_size=500):
    """labels int64 [N]; returns the final latents [N, *shape]. Noise: x_T, then one draw per step but the last,
    all from `generator` in that order."""
    ac = alphas_cumprod(sched)
    final = torch.tensor(1.0) if sched.get("set_alpha_to_one", True) else ac[0]
    ts = lcm_timesteps(sched, steps)
    out = []
    for s in range(0, len(labels), batch_size):
        y = labels[s:s + batch_size]
        n = len(y)
        x = torch.randn(n, *shape, generator=generator)
        w = torch.full((n,), float(guidance_scale))
        for i, t in enumerate(ts):
            tt = torch.full((n,), t)
            a = ac[t]
            eps = net(x, tt.float(), y, w)
            x0 = (x - (1 - a).sqrt() * eps) / a.sqrt()
            c_skip, c_out = boundary_scalings(tt, sched.get("timestep_scaling", 10.0))
            denoised = c_out * x0 + c_skip * x
            if i + 1 < len(ts):
                a_prev = ac[ts[i + 1]]
                x = a_prev.sqrt() * denoised + (1 - a_prev).sqrt() * torch.randn(x.shape, generator=generator)
            else:
                x = denoised
        out.append(x)
    return torch.cat(out)
