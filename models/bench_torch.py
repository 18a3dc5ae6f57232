"""PyTorch (CPU) latencies of the default models, for comparison with the browser and Node.

Run by `npm run bench` where /usr/bin/python3 has torch; never needed by the build or tests.
Weights are not loaded: latency does not depend on their values. Threads: BENCH_THREADS (1).
"""
import importlib.util
import json
import os
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
torch.set_num_threads(int(os.environ.get("BENCH_THREADS", "1")))


def load(model_id):
    spec = importlib.util.spec_from_file_location(f"{model_id}.model", os.path.join(HERE, model_id, "model.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with open(os.path.join(HERE, model_id, "config.json")) as f:
        config = json.load(f)
    return module, config


def p50(repeats, fn):
    times = []
    with torch.inference_mode():
        fn()
        for _ in range(repeats):
            start = time.perf_counter()
            fn()
            times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return times[len(times) // 2]


rows = []
vae, vae_config = load("mnist-vae")
_, decoder = vae.build(vae_config)
decoder.eval()
latent_dim = vae_config["networks"]["decoder"]["inputs"][0]["shape"][1]
for batch in (1, 64):
    z = torch.randn(batch, latent_dim)
    rows.append((f"VAE decode, batch {batch} (p50)", p50(50, lambda: decoder(z))))

gan, gan_config = load("mnist-dcgan")
generator, _ = gan.build(gan_config)
generator.eval()
z_dim = gan_config["networks"]["generator"]["inputs"][0]["shape"][1]
for batch in (1, 64):
    z = torch.randn(batch, z_dim)
    rows.append((f"GAN generate, batch {batch} (p50)", p50(50, lambda: generator(z))))

ddpm, ddpm_config = load("mnist-ddpm")
unet = ddpm.build(ddpm_config)
unet.eval()
x = torch.randn(2, 1, 28, 28)
t = torch.tensor([500.0, 500.0])
labels = torch.tensor([10, 3])
step = p50(30, lambda: unet(x, t, labels))
rows.append(("UNet step with guidance, batch 2 (p50)", step))
rows.append(("DDIM-50 with guidance (50 x step, estimated)", 50 * step))

# The distilled consistency model: 4 LCM steps, one UNet call each (the guidance scale is an input),
# then mnist-autoencoder's decoder: the digit the live view draws at every input.
import sys  # noqa: E402

sys.path.insert(0, os.path.join(HERE, "mnist-lcm"))
from lcm import lcm_sample  # noqa: E402

lcm_model, lcm_config = load("mnist-lcm")
student = lcm_model.build(lcm_config).eval()
autoencoder, autoencoder_config = load("mnist-autoencoder")
_, latent_decoder = autoencoder.build(autoencoder_config)
latent_decoder.eval()
latent = lcm_config["sampling"]["latent"]
digit = torch.tensor([7])


def lcm_digit():
    z = lcm_sample(student, lcm_config["scheduler"], digit, tuple(latent["shape"]), 4, 3.0,
                   generator=torch.Generator().manual_seed(11))
    return latent_decoder(z / latent["scaling_factor"])


rows.append(("consistency 4 steps, guidance 3 as an input, plus decode (p50)", p50(30, lcm_digit)))

print(f"\nPyTorch {torch.__version__}, {torch.get_num_threads()} thread(s), CPU")
for metric, value in rows:
    print(f"  {metric:64} {value:8.2f} ms")
os.makedirs(os.path.join(HERE, "..", "bench-results"), exist_ok=True)
with open(os.path.join(HERE, "..", "bench-results", "pytorch.json"), "w") as f:
    json.dump({"threads": torch.get_num_threads(), "rows": [{"metric": m, "value": v, "unit": "ms"} for m, v in rows]}, f, indent=2)
