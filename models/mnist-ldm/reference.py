"""Write reference.safetensors for parity checks of the exported latent UNet (train.py calls it at the end).

    /usr/bin/python3 models/mnist-ldm/reference.py

8 inputs: the scaled autoencoder latents (encoder mean * scaling_factor) of held-out digits 0, 100, ..., 700,
noised to timesteps 0, 20, 100, 250, 500, 750, 980, 999 with labels 0, 1, 2, 3, 10 (null), 5, 10 (null), 7,
and the PyTorch eval-mode outputs of unet.safetensors.
Keys: unet.sample f32 [8,4,7,7], unet.timestep f32 [8], unet.class_label i64 [8], unet.noise_pred f32 [8,4,7,7].
"""
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, HERE)
from common import MODELS_DIR, import_model, load_config, load_heldout, load_state_dict, save_safetensors  # noqa: E402
from diffusion import alphas_cumprod  # noqa: E402


def write_reference():
    cfg = load_config("mnist-ldm")
    unet = load_state_dict(os.path.join(HERE, "unet.safetensors"), import_model("mnist-ldm").build(cfg)).eval()
    ae_cfg = load_config("mnist-autoencoder")
    enc, _ = import_model("mnist-autoencoder").build(ae_cfg)
    load_state_dict(os.path.join(MODELS_DIR, "mnist-autoencoder", "encoder.safetensors"), enc).eval()
    hx, _ = load_heldout()
    x = torch.from_numpy(hx[[0, 100, 200, 300, 400, 500, 600, 700]]).float().div(255).unsqueeze(1)
    t = torch.tensor([0, 20, 100, 250, 500, 750, 980, 999])
    labels = torch.tensor([0, 1, 2, 3, 10, 5, 10, 7], dtype=torch.int64)
    with torch.no_grad():
        x0 = enc(x)[0] * cfg["sampling"]["latent"]["scaling_factor"]
        a = alphas_cumprod(cfg["scheduler"])[t].view(-1, 1, 1, 1)
        noise = torch.randn(x0.shape, generator=torch.Generator().manual_seed(3))
        sample = a.sqrt() * x0 + (1 - a).sqrt() * noise
        out = unet(sample, t.float(), labels)
    save_safetensors(os.path.join(HERE, "reference.safetensors"), {
        "unet.sample": sample, "unet.timestep": t.float(), "unet.class_label": labels, "unet.noise_pred": out})


if __name__ == "__main__":
    torch.set_num_threads(1)
    write_reference()
    print("wrote", os.path.join(HERE, "reference.safetensors"))
