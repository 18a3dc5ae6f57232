"""Latent consistency model (genviz model `mnist-lcm`): `mnist-ldm`'s UNet (../mnist-ddpm/model.py, one
level at 7x7) with the classifier-free guidance scale as a fourth input, distilled from `mnist-ldm`.

forward(sample [N,4,7,7] f32 (noisy latent * scaling_factor), timestep [N] f32 (0..999),
class_label [N] int64 (0..9, 10 = null label), guidance_scale [N] f32) -> noise_pred [N,4,7,7].

The guidance scale enters as LCM's w-conditioning does (diffusers' `get_guidance_scale_embedding` into
`TimestepEmbedding.cond_proj`): a sinusoidal embedding of guidance_scale * guidance_embedding_scale
(the UNet's own cos-then-sin embedding, `guidance_embedding_dim` wide), projected without bias by
`guidance_proj` to time_embedding_dim and added to the sinusoidal timestep features before time_mlp.
`guidance_proj` starts at zero, so the untrained student is exactly the teacher.
"""
import os
import sys

import torch.nn as nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from common import import_model  # noqa: E402

_ddpm = import_model("mnist-ddpm")
sinusoidal_embedding = _ddpm.sinusoidal_embedding


class GuidedUNet(_ddpm.UNet):
    def __init__(self, arch):
        super().__init__(arch)
        self.guidance_embedding_dim = arch["guidance_embedding_dim"]
        self.guidance_embedding_scale = float(arch["guidance_embedding_scale"])
        self.guidance_proj = nn.Linear(self.guidance_embedding_dim, self.time_embedding_dim, bias=False)
        nn.init.zeros_(self.guidance_proj.weight)

    def forward(self, sample, timestep, class_label, guidance_scale):
        time_features = sinusoidal_embedding(timestep, self.time_embedding_dim, self.max_period)
        guidance_features = sinusoidal_embedding(guidance_scale * self.guidance_embedding_scale,
                                                 self.guidance_embedding_dim, self.max_period)
        return self.denoise(sample, self.embed(time_features + self.guidance_proj(guidance_features), class_label))


def build(config):
    arch = config["architecture"]
    if len(arch["channels"]) != 1:
        raise ValueError("mnist-lcm runs at one resolution (7x7 latents): architecture.channels has one entry")
    return GuidedUNet(arch)
