"""Class-conditional MLP denoiser on the 2-D latents of mnist-vae (genviz model `mnist-vae-flow`):
a diffusion model whose samples are points of the mnist-vae latent map, small enough that 256 points
x 50 DDIM steps run in a few milliseconds.

forward(sample [N,2] f32 (noisy latent point), timestep [N] f32 (0..999), class_label [N] int64
(0..9, 10 = null label)) -> noise_pred [N,2] (predicted epsilon)

    h = in_proj(sample) + time_proj(sinusoidal(timestep)) + class_embedding(class_label)     [N, H]
    for each block k: h = h + blocks[k](silu(h))          (blocks[k] = Linear(H, H))
    noise_pred = out_proj(silu(h))                        (Linear(H, 2))

in_proj = Linear(2, H), time_proj = Linear(time_embedding_dim, H), class_embedding = Embedding(11, H),
H = config "hidden", number of blocks = config "blocks". sinusoidal() is the same embedding as
mnist-ddpm's (concat(cos(t f), sin(t f)), f[i] = exp(-ln(max_period) i / half)).
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def sinusoidal_embedding(timestep, dim, max_period=10000.0):
    half = dim // 2
    exponent = -math.log(max_period) * torch.arange(half, dtype=torch.float32, device=timestep.device) / half
    args = timestep.float()[:, None] * torch.exp(exponent)[None, :]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=1)


class Denoiser(nn.Module):
    def __init__(self, arch):
        super().__init__()
        H = arch["hidden"]
        D = arch["data_dim"]
        self.time_embedding_dim = arch["time_embedding_dim"]
        self.max_period = float(arch.get("max_period", 10000.0))
        self.in_proj = nn.Linear(D, H)
        self.time_proj = nn.Linear(self.time_embedding_dim, H)
        self.class_embedding = nn.Embedding(arch["num_classes"] + 1, H)
        self.blocks = nn.ModuleList([nn.Linear(H, H) for _ in range(arch["blocks"])])
        self.out_proj = nn.Linear(H, D)

    def forward(self, sample, timestep, class_label):
        h = (self.in_proj(sample) + self.time_proj(sinusoidal_embedding(timestep, self.time_embedding_dim, self.max_period))
             + self.class_embedding(class_label))
        for block in self.blocks:
            h = h + block(F.silu(h))
        return self.out_proj(F.silu(h))


def build(config):
    return Denoiser(config["architecture"])
