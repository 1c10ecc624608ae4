#!/usr/bin/env python3
"""Writes tests/cli/data/two_unsupported.onnx: a small CNN with two ops attrib has no layer for
(Cos and Sin on activations), for the `attrib info` test that every unsupported op is named at
once. Needs torch (Debian's python3-torch); run: python3 tools/make_cli_fixtures.py"""
import pathlib

import torch

root = pathlib.Path(__file__).resolve().parent.parent


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.conv = torch.nn.Conv2d(1, 2, 3, padding=1)
        self.fc = torch.nn.Linear(2 * 8 * 8, 3)

    def forward(self, x):
        y = self.conv(x)
        y = torch.cos(y) + torch.sin(y)
        return self.fc(torch.flatten(y, 1))


out = root / "tests" / "cli" / "data" / "two_unsupported.onnx"
torch.onnx.export(Net().eval(), torch.zeros(1, 1, 8, 8), str(out), input_names=["input"], output_names=["logits"],
                  opset_version=13)
print("wrote", out, out.stat().st_size, "bytes")
