"""Class-conditional latent-diffusion UNet (genviz model `mnist-ldm`): the `mnist-ddpm` UNet class
(../mnist-ddpm/model.py, converter architecture `conditional-unet`) with new config values, run on the
scaled 4x7x7 latents of `mnist-autoencoder` instead of 1x28x28 pixels.

forward(sample [N,4,7,7] f32 (noisy latent * scaling_factor), timestep [N] f32 (0..999), class_label [N]
int64 (0..9, 10 = null label)) -> noise_pred [N,4,7,7].

config "channels" has a single entry ([64]): one resolution, 7x7, so no stride-2 downsampling or 2x
upsampling happens (7 would go to 4 and back to 8, which the skip at 7 cannot take). The layout is
conv_in 4 -> 64, down[0].res ResBlock 64 -> 64 (skip), mid[0..1] ResBlock 64, up[0].res
ResBlock cat(64, 64) -> 64, GroupNorm + SiLU, conv_out 64 -> 4; receptive field 19x19 > 7x7.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from common import import_model  # noqa: E402

_ddpm = import_model("mnist-ddpm")
UNet = _ddpm.UNet
ResBlock = _ddpm.ResBlock
sinusoidal_embedding = _ddpm.sinusoidal_embedding


def build(config):
    arch = config["architecture"]
    if len(arch["channels"]) != 1:
        raise ValueError("mnist-ldm runs at one resolution (7x7 latents): architecture.channels has one entry")
    return UNet(arch)
