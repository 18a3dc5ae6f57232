"""Small CNN digit classifier (genviz model `mnist-classifier`).

forward(image [N,1,28,28] f32 in [0,1]) -> logits [N,10]   (softmax is applied by the runtime)

    features: for each stage s with c = config "channels"[s]:
                  Conv2d(prev, c, 3, padding=1), BatchNorm2d(c), ReLU,
                  Conv2d(c, c, 3, padding=1),    BatchNorm2d(c), ReLU,
                  MaxPool2d(2)                               28 -> 14 -> 7
    head:     Flatten, Dropout, Linear(c_last*7*7, hidden), ReLU, Dropout, Linear(hidden, 10)
"""
import torch.nn as nn


class Classifier(nn.Module):
    def __init__(self, arch):
        super().__init__()
        layers = []
        prev = arch.get("in_channels", 1)
        for c in arch["channels"]:
            layers += [nn.Conv2d(prev, c, 3, padding=1), nn.BatchNorm2d(c), nn.ReLU(),
                       nn.Conv2d(c, c, 3, padding=1), nn.BatchNorm2d(c), nn.ReLU(),
                       nn.MaxPool2d(2)]
            prev = c
        self.features = nn.Sequential(*layers)
        side = arch["image_size"] // (2 ** len(arch["channels"]))
        self.head = nn.Sequential(
            nn.Flatten(),
            nn.Dropout(arch["dropout"]),
            nn.Linear(prev * side * side, arch["hidden"]),
            nn.ReLU(),
            nn.Dropout(arch["dropout"]),
            nn.Linear(arch["hidden"], arch["num_classes"]),
        )

    def forward(self, image):
        return self.head(self.features(image))


def build(config):
    return Classifier(config["architecture"])
