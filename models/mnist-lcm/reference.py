"""Write reference.safetensors for parity checks of the exported consistency UNet (train.py calls it at the end).

    /usr/bin/python3 models/mnist-lcm/reference.py

As ../mnist-ldm/reference.py (held-out digits' scaled latents noised to 8 timesteps, labels with the null label),
plus guidance scales 1, 2, 3, 4, 5, 6, 7, 8. Keys: unet.sample f32 [8,4,7,7], unet.timestep f32 [8],
unet.class_label i64 [8], unet.guidance_scale f32 [8], unet.noise_pred f32 [8,4,7,7].
"""
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, HERE)
from common import MODELS_DIR, import_model, load_config, load_heldout, load_state_dict, save_safetensors  # noqa: E402
from lcm import alphas_cumprod  # noqa: E402


def write_reference():
    cfg = load_config("mnist-lcm")
    unet = load_state_dict(os.path.join(HERE, "unet.safetensors"), import_model("mnist-lcm").build(cfg)).eval()
    ae_cfg = load_config("mnist-autoencoder")
    enc, _ = import_model("mnist-autoencoder").build(ae_cfg)
    load_state_dict(os.path.join(MODELS_DIR, "mnist-autoencoder", "encoder.safetensors"), enc).eval()
    hx, _ = load_heldout()
    x = torch.from_numpy(hx[[0, 100, 200, 300, 400, 500, 600, 700]]).float().div(255).unsqueeze(1)
    t = torch.tensor([0, 19, 99, 259, 499, 759, 979, 999])
    labels = torch.tensor([0, 1, 2, 3, 10, 5, 10, 7], dtype=torch.int64)
    w = torch.arange(1, 9, dtype=torch.float32)
    with torch.no_grad():
        x0 = enc(x)[0] * cfg["sampling"]["latent"]["scaling_factor"]
        a = alphas_cumprod(cfg["scheduler"])[t].view(-1, 1, 1, 1)
        noise = torch.randn(x0.shape, generator=torch.Generator().manual_seed(3))
        sample = a.sqrt() * x0 + (1 - a).sqrt() * noise
        out = unet(sample, t.float(), labels, w)
    save_safetensors(os.path.join(HERE, "reference.safetensors"), {
        "unet.sample": sample, "unet.timestep": t.float(), "unet.class_label": labels, "unet.guidance_scale": w,
        "unet.noise_pred": out})


if __name__ == "__main__":
    torch.set_num_threads(1)
    write_reference()
    print("wrote", os.path.join(HERE, "reference.safetensors"))
