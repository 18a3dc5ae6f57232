"""Writes PyTorch-made model folders for checking the TypeScript builders against model.py.

For each model in models/ with a model.py, builds the network from that config.json, gives it
random weights (BatchNorm running statistics included, so eval-mode BN is exercised), and writes
<out>/<id>/{config.json, <network>.safetensors, reference.safetensors} (and GAN snapshots/history).
Nothing in models/ is written. Then: genviz-export build --models <out> --out <assets>.

    /usr/bin/python3 models/pytorch_parity.py /tmp/parity
"""
import json
import os
import shutil
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = HERE
sys.path.insert(0, MODELS)
import common  # noqa: E402  (read-only helpers: safetensors writing, model.py import)


def randomize(module, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, tensor in module.state_dict().items():
            if name.endswith("num_batches_tracked"):
                continue
            if name.endswith("running_var"):
                tensor.copy_(0.5 + torch.rand(tensor.shape, generator=g))
            elif name.endswith("running_mean"):
                tensor.copy_(0.2 * torch.randn(tensor.shape, generator=g))
            elif tensor.dim() == 1 and name.endswith("weight"):
                tensor.copy_(1 + 0.2 * torch.randn(tensor.shape, generator=g))
            elif tensor.dim() == 1:
                tensor.copy_(0.1 * torch.randn(tensor.shape, generator=g))
    return module.eval()


def inputs_for(spec_list, n, g):
    out = []
    for spec in spec_list:
        shape = [n if isinstance(d, str) else d for d in spec["shape"]]
        if spec["dtype"] == "int64":
            lo, hi = spec.get("range", [0, 9])
            out.append(torch.randint(lo, hi + 1, shape, generator=g))
        elif spec["name"] == "timestep":
            out.append(torch.randint(0, 1000, shape, generator=g).float())
        elif "range" in spec:
            lo, hi = spec["range"]
            out.append(lo + (hi - lo) * torch.rand(shape, generator=g))
        else:
            out.append(torch.randn(shape, generator=g))
    return out


def main(out_root):
    for model_id in sorted(os.listdir(MODELS)):
        folder = os.path.join(MODELS, model_id)
        if not os.path.exists(os.path.join(folder, "model.py")) or not os.path.exists(os.path.join(folder, "config.json")):
            continue
        config = common.load_config(model_id)
        built = common.import_model(model_id).build(config)
        nets = built if isinstance(built, tuple) else (built,)
        names = list(config["networks"].keys())
        out = os.path.join(out_root, model_id)
        os.makedirs(out, exist_ok=True)
        shutil.copy(os.path.join(folder, "config.json"), os.path.join(out, "config.json"))
        reference = {}
        g = torch.Generator().manual_seed(0)
        for i, (name, net) in enumerate(zip(names, nets)):
            randomize(net, 1 + i)
            common.save_state_dict(os.path.join(out, config["networks"][name]["weights"]), net)
            spec = config["networks"][name]
            args = inputs_for(spec["inputs"], 6, g)
            with torch.no_grad():
                result = net(*args)
            results = result if isinstance(result, tuple) else (result,)
            for s, a in zip(spec["inputs"], args):
                reference[f"{name}.{s['name']}"] = a
            for s, r in zip(spec["outputs"], results):
                reference[f"{name}.{s['name']}"] = r
        common.save_safetensors(os.path.join(out, "reference.safetensors"), reference)
        if "heldout_latents" in config:
            latent_dim = config["architecture"]["latent_dim"]
            common.save_safetensors(os.path.join(out, config["heldout_latents"]), {
                "mean": torch.randn(1000, latent_dim, generator=g), "labels": torch.arange(1000, dtype=torch.uint8) % 10})
        if config["task"] == "gan":
            os.makedirs(os.path.join(out, "snapshots"), exist_ok=True)
            generator = nets[0]
            snapshots = []
            for index in range(2):
                file = f"snapshots/generator-{index:02d}.safetensors"
                if index == 1:
                    common.save_state_dict(os.path.join(out, file), generator)
                else:
                    common.save_state_dict(os.path.join(out, file), randomize(type(generator)(config["architecture"]), 99))
                snapshots.append({"index": index, "epoch": index, "iteration": index * 10, "file": file, "d_real": 0.5, "d_fake": 0.5})
            with open(os.path.join(out, "history.json"), "w") as f:
                json.dump({"snapshots": snapshots}, f)
        print(model_id, "written")


if __name__ == "__main__":
    torch.set_num_threads(1)
    main(sys.argv[1])
