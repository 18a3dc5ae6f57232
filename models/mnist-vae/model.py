"""Convolutional VAE with a 2-D latent (genviz model `mnist-vae`); encoder and decoder are separate networks.

Encoder.forward(image [N,1,28,28] in [0,1]) -> (mean [N,D], logvar [N,D])
    conv: Conv2d(1, c0, 4, stride 2, padding 1), ReLU        28 -> 14
          Conv2d(c0, c1, 4, stride 2, padding 1), ReLU       14 -> 7
    Flatten, Linear(c1*7*7, hidden), ReLU
    to_mean:   Linear(hidden, D)
    to_logvar: Linear(hidden, D)

Decoder.forward(latent [N,D]) -> image [N,1,28,28] in [0,1]
    fc: Linear(D, hidden), ReLU, Linear(hidden, c1*7*7), ReLU, reshape to [N, c1, 7, 7]
    deconv: ConvTranspose2d(c1, c0, 4, stride 2, padding 1), ReLU     7 -> 14
            ConvTranspose2d(c0, 1, 4, stride 2, padding 1), Sigmoid   14 -> 28

(c0, c1) = config "encoder_channels" / "decoder_channels", D = "latent_dim", hidden = "hidden".
"""
import torch.nn as nn


class Encoder(nn.Module):
    def __init__(self, arch):
        super().__init__()
        c0, c1 = arch["encoder_channels"]
        self.conv = nn.Sequential(
            nn.Conv2d(1, c0, 4, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(c0, c1, 4, stride=2, padding=1), nn.ReLU(),
            nn.Flatten(),
            nn.Linear(c1 * 7 * 7, arch["hidden"]), nn.ReLU(),
        )
        self.to_mean = nn.Linear(arch["hidden"], arch["latent_dim"])
        self.to_logvar = nn.Linear(arch["hidden"], arch["latent_dim"])

    def forward(self, image):
        h = self.conv(image)
        return self.to_mean(h), self.to_logvar(h)


class Decoder(nn.Module):
    def __init__(self, arch):
        super().__init__()
        c0, c1 = arch["decoder_channels"]
        self.c1 = c1
        self.fc = nn.Sequential(
            nn.Linear(arch["latent_dim"], arch["hidden"]), nn.ReLU(),
            nn.Linear(arch["hidden"], c1 * 7 * 7), nn.ReLU(),
        )
        self.deconv = nn.Sequential(
            nn.ConvTranspose2d(c1, c0, 4, stride=2, padding=1), nn.ReLU(),
            nn.ConvTranspose2d(c0, 1, 4, stride=2, padding=1), nn.Sigmoid(),
        )

    def forward(self, latent):
        return self.deconv(self.fc(latent).view(-1, self.c1, 7, 7))


def build(config):
    arch = config["architecture"]
    return Encoder(arch), Decoder(arch)
