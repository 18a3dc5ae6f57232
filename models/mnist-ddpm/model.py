"""Class-conditional UNet for 28x28 MNIST, epsilon prediction (genviz model `mnist-ddpm`).

Built only from the contract's blocks: Conv2d, Linear, GroupNorm, SiLU, Embedding, sinusoidal
timestep embedding, nearest 2x upsampling, channel concatenation, addition, Dropout. No attention.

forward(sample [N,1,28,28] f32, timestep [N] f32 (integer value 0..999 as float), class_label [N] int64
(0..9, 10 = null label for classifier-free guidance)) -> noise_pred [N,1,28,28].

Layout (channels = config "channels", e.g. [16, 32, 128] at 28, 14, 7 pixels):

    conv_in                        1 -> c0                       @28
    down[0].res  ResBlock  c0 -> c0, then skip0   ; down[0].downsample  Conv3x3 stride 2 -> @14
    down[1].res  ResBlock  c0 -> c1, then skip1   ; down[1].downsample  Conv3x3 stride 2 -> @7
    down[2].res  ResBlock  c1 -> c2, then skip2   (no downsample at the last level)
    mid[0..]     ResBlock  c2 -> c2
    up[2].res    ResBlock  cat(h, skip2) -> c2 ; up[2].upsample Conv3x3 c2 -> c1 @7, then nearest 2x -> @14
    up[1].res    ResBlock  cat(h, skip1) -> c1 ; up[1].upsample Conv3x3 c1 -> c0 @14, then nearest 2x -> @28
    up[0].res    ResBlock  cat(h, skip0) -> c0
    out_norm GroupNorm, SiLU, conv_out c0 -> 1

ResBlock(x, emb): h = conv1(SiLU(norm1(x))); h = h + emb_proj(SiLU(emb))[:, :, None, None];
                  h = conv2(dropout(SiLU(norm2(h)))); return skip(x) + h
                  (skip = 1x1 Conv2d when channels change, identity otherwise)

Embedding: emb = time_mlp(sinusoidal(timestep)) + class_embedding(class_label)
    sinusoidal(t) (dim = config "time_embedding_dim" = d, half = d/2):
        freqs[i] = exp(-ln(max_period) * i / half), i = 0..half-1     (max_period = 10000)
        args = t[:, None] * freqs[None, :]
        emb = concat([cos(args), sin(args)], dim=1)                  (cos first, then sin)
      (== diffusers get_timestep_embedding(t, d, flip_sin_to_cos=True, downscale_freq_shift=0))
    time_mlp = Linear(d, E), SiLU, Linear(E, E)       (E = config "embedding_dim")
    class_embedding = Embedding(num_classes + 1, E)   (row num_classes = null label)
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def sinusoidal_embedding(timestep, dim, max_period=10000.0):
    half = dim // 2
    exponent = -math.log(max_period) * torch.arange(half, dtype=torch.float32, device=timestep.device) / half
    args = timestep.float()[:, None] * torch.exp(exponent)[None, :]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=1)


class ResBlock(nn.Module):
    def __init__(self, in_ch, out_ch, emb_dim, groups, dropout):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, in_ch)
        self.conv1 = nn.Conv2d(in_ch, out_ch, 3, padding=1)
        self.emb_proj = nn.Linear(emb_dim, out_ch)
        self.norm2 = nn.GroupNorm(groups, out_ch)
        self.dropout = nn.Dropout(dropout)
        self.conv2 = nn.Conv2d(out_ch, out_ch, 3, padding=1)
        self.skip = nn.Conv2d(in_ch, out_ch, 1) if in_ch != out_ch else nn.Identity()

    def forward(self, x, emb):
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.emb_proj(F.silu(emb))[:, :, None, None]
        h = self.conv2(self.dropout(F.silu(self.norm2(h))))
        return self.skip(x) + h


class Downsample(nn.Module):
    """Conv3x3 with stride 2 (28 -> 14 -> 7)."""

    def __init__(self, ch):
        super().__init__()
        self.conv = nn.Conv2d(ch, ch, 3, stride=2, padding=1)

    def forward(self, x):
        return self.conv(x)


class Upsample(nn.Module):
    """Conv3x3 in_ch -> out_ch at the low resolution, then nearest-neighbour 2x upsampling
    (the conv runs before the upsampling to keep multiply-adds low)."""

    def __init__(self, in_ch, out_ch):
        super().__init__()
        self.conv = nn.Conv2d(in_ch, out_ch, 3, padding=1)

    def forward(self, x):
        return F.interpolate(self.conv(x), scale_factor=2, mode="nearest")


class DownLevel(nn.Module):
    def __init__(self, in_ch, out_ch, emb_dim, groups, dropout, downsample):
        super().__init__()
        self.res = ResBlock(in_ch, out_ch, emb_dim, groups, dropout)
        self.downsample = Downsample(out_ch) if downsample else None


class UpLevel(nn.Module):
    def __init__(self, in_ch, skip_ch, out_ch, emb_dim, groups, dropout, upsample_to):
        super().__init__()
        self.res = ResBlock(in_ch + skip_ch, out_ch, emb_dim, groups, dropout)
        self.upsample = Upsample(out_ch, upsample_to) if upsample_to else None


class UNet(nn.Module):
    def __init__(self, arch):
        super().__init__()
        ch = list(arch["channels"])
        E = arch["embedding_dim"]
        g = arch["groups"]
        p = arch.get("dropout", 0.0)
        self.time_embedding_dim = arch["time_embedding_dim"]
        self.max_period = float(arch.get("max_period", 10000.0))
        self.num_classes = arch["num_classes"]
        self.time_mlp = nn.Sequential(nn.Linear(self.time_embedding_dim, E), nn.SiLU(), nn.Linear(E, E))
        self.class_embedding = nn.Embedding(self.num_classes + 1, E)
        self.conv_in = nn.Conv2d(arch.get("in_channels", 1), ch[0], 3, padding=1)
        self.down = nn.ModuleList()
        prev = ch[0]
        for i, c in enumerate(ch):
            self.down.append(DownLevel(prev, c, E, g, p, downsample=i < len(ch) - 1))
            prev = c
        self.mid = nn.ModuleList([ResBlock(ch[-1], ch[-1], E, g, p) for _ in range(arch["mid_blocks"])])
        self.up = nn.ModuleList()
        for i in reversed(range(len(ch))):
            self.up.append(UpLevel(prev, ch[i], ch[i], E, g, p, upsample_to=ch[i - 1] if i > 0 else None))
            prev = ch[i - 1] if i > 0 else ch[0]
        # self.up[0] is the deepest level (7x7); self.up[-1] the full-resolution one.
        self.out_norm = nn.GroupNorm(g, ch[0])
        self.conv_out = nn.Conv2d(ch[0], arch.get("out_channels", 1), 3, padding=1)

    def forward(self, sample, timestep, class_label):
        return self.denoise(sample, self.embed(sinusoidal_embedding(timestep, self.time_embedding_dim,
                                                                    self.max_period), class_label))

    def embed(self, time_features, class_label):
        """time_mlp(sinusoidal(t)) + class embedding; a subclass may add to time_features first
        (mnist-lcm adds its guidance-scale projection there, as diffusers' TimestepEmbedding cond_proj)."""
        return self.time_mlp(time_features) + self.class_embedding(class_label)

    def denoise(self, sample, emb):
        h = self.conv_in(sample)
        skips = []
        for level in self.down:
            h = level.res(h, emb)
            skips.append(h)
            if level.downsample is not None:
                h = level.downsample(h)
        for block in self.mid:
            h = block(h, emb)
        for level in self.up:
            h = level.res(torch.cat([h, skips.pop()], dim=1), emb)
            if level.upsample is not None:
                h = level.upsample(h)
        return self.conv_out(F.silu(self.out_norm(h)))


def build(config):
    return UNet(config["architecture"])
