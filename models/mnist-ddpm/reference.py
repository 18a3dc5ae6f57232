"""Write reference.safetensors for parity checks of the exported UNet (run after training;
train.py also calls it at the end).

    /usr/bin/python3 models/mnist-ddpm/reference.py

8 inputs: held-out digits noised to timesteps 0, 20, 100, 250, 500, 750, 980, 999 with labels
0, 1, 2, 3, 10 (null), 5, 10 (null), 7, and the PyTorch eval-mode outputs of unet.safetensors.
Keys: unet.sample f32 [8,1,28,28], unet.timestep f32 [8], unet.class_label i64 [8], unet.noise_pred f32 [8,1,28,28].
"""
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, HERE)
from common import import_model, load_config, load_heldout, load_state_dict, save_safetensors  # noqa: E402
from diffusion import alphas_cumprod  # noqa: E402


def write_reference():
    cfg = load_config("mnist-ddpm")
    unet = load_state_dict(os.path.join(HERE, "unet.safetensors"), import_model("mnist-ddpm").build(cfg)).eval()
    hx, _ = load_heldout()
    x0 = torch.from_numpy(hx[[0, 100, 200, 300, 400, 500, 600, 700]]).float().div(255).mul(2).sub(1).unsqueeze(1)
    t = torch.tensor([0, 20, 100, 250, 500, 750, 980, 999])
    labels = torch.tensor([0, 1, 2, 3, 10, 5, 10, 7], dtype=torch.int64)
    a = alphas_cumprod(cfg["scheduler"])[t].view(-1, 1, 1, 1)
    noise = torch.randn(x0.shape, generator=torch.Generator().manual_seed(3))
    sample = a.sqrt() * x0 + (1 - a).sqrt() * noise
    with torch.no_grad():
        out = unet(sample, t.float(), labels)
    save_safetensors(os.path.join(HERE, "reference.safetensors"), {
        "unet.sample": sample, "unet.timestep": t.float(), "unet.class_label": labels, "unet.noise_pred": out})


if __name__ == "__main__":
    torch.set_num_threads(1)
    write_reference()
    print("wrote", os.path.join(HERE, "reference.safetensors"))
