"""Print every metric of the genviz model cards, computed from the shipped checkpoints.

    /usr/bin/python3 models/metrics.py                      # all models
    /usr/bin/python3 models/metrics.py mnist-vae mnist-dcgan # some of them
    options: --threads N (default 2), --samples (also redraw each folder's samples.png),
             --ddpm-n N (samples per DDPM test, default 1000), --no-json

All numbers use the fixed 1,000-digit held-out split (models/mnist-data/heldout.safetensors) and the
mnist-classifier checkpoint as the judge. Seeds are fixed, so reruns print the same numbers
(up to float non-determinism across thread counts). Results also go to <model>/metrics.json.
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

MODELS = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, MODELS)
from common import count_params, import_model, load_config, load_heldout, load_state_dict, save_grid_png  # noqa: E402

ALL = ["mnist-classifier", "mnist-vae", "mnist-dcgan", "mnist-dcgan-collapsed", "mnist-ddpm"]


def p(folder, name):
    return os.path.join(MODELS, folder, name)


def heldout01():
    x, y = load_heldout()
    return torch.from_numpy(x).float().div(255).unsqueeze(1), torch.from_numpy(y).long()


def load_classifier():
    cfg = load_config("mnist-classifier")
    net = import_model("mnist-classifier").build(cfg)
    return load_state_dict(p("mnist-classifier", "classifier.safetensors"), net).eval()


@torch.no_grad()
def judge(clf, images01):
    """images01: [N,1,28,28] in [0,1] -> (pred [N], confidence [N])."""
    probs = torch.cat([F.softmax(clf(images01[i:i + 500]), 1) for i in range(0, len(images01), 500)])
    conf, pred = probs.max(1)
    return pred, conf


def class_entropy_bits(pred):
    h = np.bincount(pred.numpy(), minlength=10).astype(np.float64)
    q = h / h.sum()
    return max(0.0, float(-(q[q > 0] * np.log2(q[q > 0])).sum())), [int(v) for v in h]


def file_mb(folder, name):
    return os.path.getsize(p(folder, name)) / 1e6


def m_classifier(args, clf):
    x, y = heldout01()
    pred, _ = judge(clf, x)
    acc = (pred == y).float().mean().item()
    per = [(pred[y == c] == c).float().mean().item() for c in range(10)]
    out = {"heldout_accuracy": acc, "heldout_errors": int((pred != y).sum()), "per_class_accuracy": per,
           "params": count_params(clf), "classifier_mb": file_mb("mnist-classifier", "classifier.safetensors")}
    print(f"[mnist-classifier] params {out['params']}; held-out accuracy {acc * 100:.2f}% "
          f"({out['heldout_errors']} errors / 1000)")
    print("  per class: " + " ".join(f"{c}:{a * 100:.0f}%" for c, a in enumerate(per)))
    if args.samples:
        order = torch.cat([torch.nonzero(y == c)[:10, 0] for c in range(10)])
        save_grid_png(p("mnist-classifier", "samples.png"), x[order, 0].numpy(), nrow=10)
    return out


@torch.no_grad()
def m_vae(args, clf):
    cfg = load_config("mnist-vae")
    enc, dec = import_model("mnist-vae").build(cfg)
    load_state_dict(p("mnist-vae", "encoder.safetensors"), enc).eval()
    load_state_dict(p("mnist-vae", "decoder.safetensors"), dec).eval()
    x, y = heldout01()
    mean, logvar = enc(x)
    rec = dec(mean)
    bce = F.binary_cross_entropy(rec, x, reduction="none").sum((1, 2, 3)).mean().item()
    mse = ((rec - x) ** 2).sum((1, 2, 3)).mean().item()
    kl = (-0.5 * (1 + logvar - mean ** 2 - logvar.exp()).sum(1)).mean().item()
    g = torch.Generator().manual_seed(0)
    z = mean + torch.exp(0.5 * logvar) * torch.randn(mean.shape, generator=g)
    rec_s = dec(z)
    bce_s = F.binary_cross_entropy(rec_s, x, reduction="none").sum((1, 2, 3)).mean().item()
    pred, _ = judge(clf, rec)
    rec_acc = (pred == y).float().mean().item()
    # prior samples judged by the classifier
    zp = torch.randn(1000, cfg["architecture"]["latent_dim"], generator=torch.Generator().manual_seed(1))
    pp, pc = judge(clf, dec(zp))
    ent, hist = class_entropy_bits(pp)
    out = {"params_encoder": count_params(enc), "params_decoder": count_params(dec),
           "heldout_bce_per_image": bce, "heldout_mse_per_image": mse, "heldout_mse_per_pixel": mse / 784,
           "heldout_kl_per_image": kl, "heldout_elbo_per_image": bce + kl, "heldout_bce_per_image_sampled_z": bce_s,
           "reconstruction_classifier_accuracy": rec_acc, "prior_samples_confident_0.9": (pc >= 0.9).float().mean().item(),
           "prior_samples_class_entropy_bits": ent, "prior_samples_class_histogram": hist,
           "encoder_mb": file_mb("mnist-vae", "encoder.safetensors"), "decoder_mb": file_mb("mnist-vae", "decoder.safetensors")}
    print(f"[mnist-vae] params encoder {out['params_encoder']} decoder {out['params_decoder']}")
    print(f"  held-out reconstruction (decoder(mean)): BCE {bce:.2f} nats/image, MSE {mse:.2f} per image "
          f"({mse / 784:.4f} per pixel); KL {kl:.2f} nats/image; -ELBO {bce + kl:.2f}")
    print(f"  BCE with a sampled z: {bce_s:.2f}; classifier accuracy on reconstructions {rec_acc * 100:.1f}%; "
          f"1,000 prior samples: {out['prior_samples_confident_0.9'] * 100:.1f}% confident>=0.9, class entropy {ent:.2f} bits")
    if args.samples:
        r = cfg["architecture"].get("grid_range", 2.5)
        lin = torch.linspace(-r, r, 16)
        # row-major grid: columns z1 = -r..r left to right, rows z2 = r..-r top to bottom
        zz = torch.tensor([[a, b] for b in lin.flip(0).tolist() for a in lin.tolist()])
        save_grid_png(p("mnist-vae", "samples.png"), dec(zz)[:, 0].numpy(), nrow=16, pad=0)
    return out


@torch.no_grad()
def m_gan(args, clf, gid):
    cfg = load_config(gid)
    Z = cfg["architecture"]["latent_dim"]
    G, D = import_model(gid).build(cfg)
    load_state_dict(p(gid, "generator.safetensors"), G).eval()
    load_state_dict(p(gid, "discriminator.safetensors"), D).eval()
    z = torch.randn(1000, Z, generator=torch.Generator().manual_seed(2024))
    imgs = (G(z) + 1) / 2
    pred, conf = judge(clf, imgs)
    ent, hist = class_entropy_bits(pred)
    confident = (conf >= 0.9).float().mean().item()
    x, _ = heldout01()
    d_real = torch.sigmoid(D(x * 2 - 1)).mean().item()
    d_fake = torch.sigmoid(D(imgs * 2 - 1)).mean().item()
    hist_json = json.load(open(p(gid, "history.json")))
    snaps = []
    for s in hist_json["snapshots"]:
        Gs = import_model(gid).build(cfg)[0]
        load_state_dict(p(gid, s["file"]), Gs).eval()
        ps, cs = judge(clf, (Gs(z) + 1) / 2)
        e, _ = class_entropy_bits(ps)
        snaps.append({"index": s["index"], "epoch": s["epoch"], "iteration": s["iteration"], "d_real": s["d_real"],
                      "d_fake": s["d_fake"], "confident_0.9": (cs >= 0.9).float().mean().item(), "class_entropy_bits": e})
    last_equal = all(np.array_equal(a, b) for a, b in zip(
        [v.numpy() for v in G.state_dict().values() if v.dtype.is_floating_point],
        [v.numpy() for v in Gs.state_dict().values() if v.dtype.is_floating_point]))
    out = {"latent_dim": Z, "params_generator": count_params(G), "params_discriminator": count_params(D),
           "samples": 1000, "confident_0.9": confident, "class_entropy_bits": ent, "class_histogram": hist,
           "d_real_heldout": d_real, "d_fake": d_fake, "snapshots": snaps, "last_snapshot_equals_generator": last_equal,
           "generator_mb": file_mb(gid, "generator.safetensors"), "discriminator_mb": file_mb(gid, "discriminator.safetensors")}
    print(f"[{gid}] Z {Z}; params generator {out['params_generator']} discriminator {out['params_discriminator']}")
    print(f"  1,000 samples (seed 2024): {confident * 100:.1f}% classified with confidence >= 0.9; "
          f"class entropy {ent:.3f} bits (max 3.322); histogram {hist}")
    print(f"  final D: mean P(real) held-out real {d_real:.3f}, these fakes {d_fake:.3f}; "
          f"last snapshot == generator.safetensors: {last_equal}")
    for s in snaps:
        print(f"  snapshot {s['index']:02d} epoch {s['epoch']:>2} it {s['iteration']:>5}: d_real {s['d_real']:.3f} "
              f"d_fake {s['d_fake']:.3f} confident {s['confident_0.9'] * 100:5.1f}% entropy {s['class_entropy_bits']:.2f} bits")
    if args.samples:
        save_grid_png(p(gid, "samples.png"), imgs[:64, 0].numpy(), nrow=8)
    return out


@torch.no_grad()
def m_ddpm(args, clf):
    sys.path.insert(0, p("mnist-ddpm", ""))
    from diffusion import ddim_sample
    cfg = load_config("mnist-ddpm")
    unet = import_model("mnist-ddpm").build(cfg)
    load_state_dict(p("mnist-ddpm", "unet.safetensors"), unet).eval()
    sch, smp = cfg["scheduler"], cfg["sampling"]
    steps, gs, null = smp["num_inference_steps"], smp["guidance_scale"], cfg["architecture"]["null_class"]
    n = args.ddpm_n
    labels = torch.arange(10).repeat_interleave(n // 10)
    t0 = time.time()
    x = ddim_sample(unet, sch, labels, steps=steps, guidance_scale=gs, generator=torch.Generator().manual_seed(0),
                    set_alpha_to_one=smp["set_alpha_to_one"], null_label=null,
                    use_clipped_model_output=smp.get("use_clipped_model_output", False))
    t_cond = time.time() - t0
    imgs = ((x + 1) / 2).clamp(0, 1)
    pred, conf = judge(clf, imgs)
    acc = (pred == labels).float().mean().item()
    per = [(pred[labels == c] == c).float().mean().item() for c in range(10)]
    t0 = time.time()
    xu = ddim_sample(unet, sch, torch.full((n,), null, dtype=torch.long), steps=steps, guidance_scale=1.0,
                     generator=torch.Generator().manual_seed(1), set_alpha_to_one=smp["set_alpha_to_one"], null_label=null,
                     use_clipped_model_output=smp.get("use_clipped_model_output", False))
    t_unc = time.time() - t0
    iu = ((xu + 1) / 2).clamp(0, 1)
    pu, cu = judge(clf, iu)
    ent, hist = class_entropy_bits(pu)
    out = {"params": count_params(unet), "unet_mb": file_mb("mnist-ddpm", "unet.safetensors"), "samples": n,
           "sampler": f"DDIM {steps} steps, eta 0, leading spacing, steps_offset {sch['steps_offset']}",
           "guidance_scale": gs, "conditional_accuracy": acc, "conditional_per_class": per,
           "conditional_confident_0.9": (conf >= 0.9).float().mean().item(),
           "null_label_class_entropy_bits": ent, "null_label_class_histogram": hist,
           "null_label_confident_0.9": (cu >= 0.9).float().mean().item(),
           "seconds_conditional": t_cond, "seconds_null": t_unc}
    print(f"[mnist-ddpm] params {out['params']}; {out['sampler']}")
    print(f"  guidance {gs}: {acc * 100:.1f}% of {n} samples classified as the asked digit "
          f"(confident>=0.9: {out['conditional_confident_0.9'] * 100:.1f}%); per class "
          + " ".join(f"{c}:{a * 100:.0f}%" for c, a in enumerate(per)))
    print(f"  null label: class entropy {ent:.3f} bits, histogram {hist}, confident>=0.9 {out['null_label_confident_0.9'] * 100:.1f}%")
    print(f"  sampling time here: {t_cond:.0f}s guided, {t_unc:.0f}s null ({args.threads} threads)")
    if args.samples:
        order = torch.cat([torch.nonzero(labels == c)[:10, 0] for c in range(10)])
        save_grid_png(p("mnist-ddpm", "samples.png"), imgs[order, 0].numpy(), nrow=10)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("models", nargs="*", default=ALL)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--samples", action="store_true")
    ap.add_argument("--ddpm-n", type=int, default=1000)
    ap.add_argument("--no-json", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    clf = load_classifier()
    for mid in args.models:
        if mid == "mnist-classifier":
            out = m_classifier(args, clf)
        elif mid == "mnist-vae":
            out = m_vae(args, clf)
        elif mid in ("mnist-dcgan", "mnist-dcgan-collapsed"):
            out = m_gan(args, clf, mid)
        elif mid == "mnist-ddpm":
            out = m_ddpm(args, clf)
        else:
            raise SystemExit(f"unknown model {mid}")
        if not args.no_json:
            with open(p(mid, "metrics.json"), "w") as f:
                json.dump(out, f, indent=1)
        sys.stdout.flush()


if __name__ == "__main__":
    main()
