"""`mnist-dcgan-collapsed` uses exactly the `mnist-dcgan` architecture: this file re-exports ../mnist-dcgan/model.py."""
import importlib.util
import os

_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "mnist-dcgan", "model.py")
_spec = importlib.util.spec_from_file_location("mnist_dcgan_model", _path)
_mod = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_mod)

Generator = _mod.Generator
Discriminator = _mod.Discriminator
build = _mod.build
