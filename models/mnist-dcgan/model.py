"""DCGAN for 28x28 MNIST (genviz models `mnist-dcgan` and `mnist-dcgan-collapsed` share this file).

Generator.forward(latent [N,Z] standard normal) -> image [N,1,28,28] in [-1,1]
    fc:     Linear(Z, c1*7*7), BatchNorm1d(c1*7*7), ReLU, reshape to [N, c1, 7, 7]
    deconv: ConvTranspose2d(c1, c0, 4, stride 2, padding 1), BatchNorm2d(c0), ReLU     7 -> 14
            ConvTranspose2d(c0, 1, 4, stride 2, padding 1), Tanh                         14 -> 28
    ((c0, c1) = config "generator_channels", Z = "latent_dim")
    With config "categorical_code" K > 0 (InfoGAN-style, Chen et al. 2016), the first K latent entries are
    replaced by a one-hot code before fc: one at the largest of them, zero elsewhere. Under a standard-normal
    latent each of the K positions is the largest equally often, so the code is a uniform K-way choice read
    from the same [N,Z] input; the generator can draw K separate families of images (the digits) with a
    discontinuity between them, instead of blending one digit into the next across a connected latent space.

Discriminator.forward(image [N,1,28,28] in [-1,1]) -> logit [N,1]   (sigmoid = P(real))
    conv: Conv2d(1, d0, 4, stride 2, padding 1), LeakyReLU(0.2), Dropout     28 -> 14
          Conv2d(d0, d1, 4, stride 2, padding 1), LeakyReLU(0.2), Dropout    14 -> 7
          Flatten, Linear(d1*7*7, 1)
    ((d0, d1) = config "discriminator_channels"; no normalisation layers, so train/eval behave alike)
"""
import torch
import torch.nn as nn


class Generator(nn.Module):
    def __init__(self, arch):
        super().__init__()
        c0, c1 = arch["generator_channels"]
        self.c1 = c1
        self.code = arch.get("categorical_code", 0)
        self.fc = nn.Sequential(
            nn.Linear(arch["latent_dim"], c1 * 7 * 7), nn.BatchNorm1d(c1 * 7 * 7), nn.ReLU(),
        )
        self.deconv = nn.Sequential(
            nn.ConvTranspose2d(c1, c0, 4, stride=2, padding=1), nn.BatchNorm2d(c0), nn.ReLU(),
            nn.ConvTranspose2d(c0, 1, 4, stride=2, padding=1), nn.Tanh(),
        )

    def forward(self, latent):
        if self.code:
            head = latent[:, :self.code]
            one_hot = (head == head.max(1, keepdim=True).values).to(latent.dtype)
            latent = torch.cat([one_hot, latent[:, self.code:]], 1)
        return self.deconv(self.fc(latent).view(-1, self.c1, 7, 7))


class Discriminator(nn.Module):
    def __init__(self, arch):
        super().__init__()
        d0, d1 = arch["discriminator_channels"]
        slope = arch["leaky_relu_slope"]
        p = arch["discriminator_dropout"]
        self.conv = nn.Sequential(
            nn.Conv2d(1, d0, 4, stride=2, padding=1), nn.LeakyReLU(slope), nn.Dropout(p),
            nn.Conv2d(d0, d1, 4, stride=2, padding=1), nn.LeakyReLU(slope), nn.Dropout(p),
            nn.Flatten(),
            nn.Linear(d1 * 7 * 7, 1),
        )

    def forward(self, image):
        return self.conv(image)


def build(config):
    arch = config["architecture"]
    return Generator(arch), Discriminator(arch)
