"""Train `mnist-dcgan-collapsed`: the mnist-dcgan architecture and training loop with a recipe that
mode-collapses (see README.md). Equivalent to

    /usr/bin/python3 models/mnist-dcgan/train.py --model-id mnist-dcgan-collapsed <the defaults below>

    /usr/bin/python3 models/mnist-dcgan-collapsed/train.py [--threads 1] [--mnist-dir DIR]
"""
import importlib.util
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("mnist_dcgan_train", os.path.join(HERE, "..", "mnist-dcgan", "train.py"))
_train = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_train)

COLLAPSE_DEFAULTS = dict(
    model_id="mnist-dcgan-collapsed",
    epochs=6,
    snapshot_epochs="1,2,3,4,5,6",
    lr_g=2e-3,     # generator 100x faster than the discriminator ...
    lr_d=2e-5,
    g_steps=5,     # ... and 5 generator updates per discriminator update
    real_label=1.0,
    g_ema=0.0,     # the raw generator is shipped (no weight averaging)
)

if __name__ == "__main__":
    ap = _train.get_parser()
    ap.set_defaults(**COLLAPSE_DEFAULTS)
    _train.train(ap.parse_args())
