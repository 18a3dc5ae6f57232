"""KL-regularised convolutional autoencoder with a spatial latent (genviz model `mnist-autoencoder`),
the first stage of latent diffusion (`mnist-ldm` runs its diffusion on these latents). Encoder and
decoder are separate networks, like mnist-vae's, but the latent is a [L, 7, 7] feature map.

Encoder.forward(image [N,1,28,28] in [0,1]) -> (mean [N,L,7,7], logvar [N,L,7,7])
    conv: Conv2d(1, e0, 3, padding 1), ReLU                      @28
          Conv2d(e0, e1, 4, stride 2, padding 1), ReLU           28 -> 14
          Conv2d(e1, e2, 4, stride 2, padding 1), ReLU           14 -> 7
          Conv2d(e2, e2, 3, padding 1), ReLU                     @7
    to_mean:   Conv2d(e2, L, 3, padding 1)
    to_logvar: Conv2d(e2, L, 3, padding 1)

Decoder.forward(latent [N,L,7,7]) -> image [N,1,28,28] in [0,1]
    net: Conv2d(L, d2, 3, padding 1), ReLU                       @7
         Conv2d(d2, d2, 3, padding 1), ReLU                      @7
         ConvTranspose2d(d2, d1, 4, stride 2, padding 1), ReLU   7 -> 14
         ConvTranspose2d(d1, d0, 4, stride 2, padding 1), ReLU   14 -> 28
         Conv2d(d0, 1, 3, padding 1), Sigmoid                    @28

(e0, e1, e2) = config "encoder_channels", (d0, d1, d2) = "decoder_channels" (listed from full
resolution down, as the encoder's), L = "latent_channels". The decoder takes the *unscaled* latent;
the diffusion model works on latent * scaling_factor (config.json), as Stable Diffusion does.
"""
import torch.nn as nn


class Encoder(nn.Module):
    def __init__(self, arch):
        super().__init__()
        e0, e1, e2 = arch["encoder_channels"]
        L = arch["latent_channels"]
        self.conv = nn.Sequential(
            nn.Conv2d(1, e0, 3, padding=1), nn.ReLU(),
            nn.Conv2d(e0, e1, 4, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(e1, e2, 4, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(e2, e2, 3, padding=1), nn.ReLU(),
        )
        self.to_mean = nn.Conv2d(e2, L, 3, padding=1)
        self.to_logvar = nn.Conv2d(e2, L, 3, padding=1)

    def forward(self, image):
        h = self.conv(image)
        return self.to_mean(h), self.to_logvar(h)


class Decoder(nn.Module):
    def __init__(self, arch):
        super().__init__()
        d0, d1, d2 = arch["decoder_channels"]
        L = arch["latent_channels"]
        self.net = nn.Sequential(
            nn.Conv2d(L, d2, 3, padding=1), nn.ReLU(),
            nn.Conv2d(d2, d2, 3, padding=1), nn.ReLU(),
            nn.ConvTranspose2d(d2, d1, 4, stride=2, padding=1), nn.ReLU(),
            nn.ConvTranspose2d(d1, d0, 4, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(d0, 1, 3, padding=1), nn.Sigmoid(),
        )

    def forward(self, latent):
        return self.net(latent)


def build(config):
    arch = config["architecture"]
    return Encoder(arch), Decoder(arch)
