#!/usr/bin/env python3
"""One PyTorch case of `resnet bench`, in its own process so that its peak RSS is its own.

Usage: pytorch_bench.py '<json spec>'   spec: {model, batch, mode, runs, warmup, threads, seed,
channelsLast}, or {mode: 'export-onnx', model, out} to write the model as ONNX (opset 13, batch
axis dynamic) for the onnxruntime peers: written to out + '.tmp' and renamed, so a cache never
holds half a file. Prints JSON lines on stdout (see send) and progress on stderr. Models: a CIFAR ResNet of depth
6n+2 with option-A shortcuts (resnet8, resnet20, resnet56, ...), or torchvision's resnet18..152.
Training is one SGD step (momentum 0.9, weight decay 1e-4) in train() mode with one read-back (the
loss); inference is eval() + no_grad, forward and one read-back of the logits. channelsLast puts
the model and the input in torch.channels_last (NHWC in memory), the layout oneDNN is fastest in.
"""
import json
import os
import resource
import sys
import time


def seconds_since_process_start():
    # /proc/self/stat field 22 is the start time in clock ticks after boot.
    with open('/proc/self/stat') as f:
        fields = f.read().rsplit(')', 1)[1].split()
    start = int(fields[19]) / os.sysconf('SC_CLK_TCK')
    with open('/proc/uptime') as f:
        uptime = float(f.read().split()[0])
    return uptime - start


def max_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def current_rss_mb():
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE') / 2**20


def send(event, body):
    """One JSON line on stdout for the parent: 'first' when the first step is done, then 'result'."""
    print(json.dumps({'event': event, **body}), flush=True)


spec = json.loads(sys.argv[1])
import torch  # noqa: E402  (after the spec: a bad spec fails fast)
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402


class OptionA(nn.Module):
    """Shortcut where the width doubles: every other pixel, channels zero-padded on both sides."""

    def __init__(self, extra):
        super().__init__()
        self.extra = extra

    def forward(self, x):
        return F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, self.extra, self.extra))


class Basic(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = OptionA((cout - cin) // 2) if stride != 1 or cin != cout else nn.Identity()

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(y)) + self.shortcut(x))


class CifarResNet(nn.Module):
    def __init__(self, depth, classes=10):
        super().__init__()
        if (depth - 2) % 6:
            raise SystemExit(f'pytorch_bench: a CIFAR ResNet has depth 6n+2, got {depth}')
        n = (depth - 2) // 6
        self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        layers, cin = [], 16
        for width, stride in ((16, 1), (32, 2), (64, 2)):
            for i in range(n):
                layers.append(Basic(cin, width, stride if i == 0 else 1))
                cin = width
        self.layers = nn.Sequential(*layers)
        self.linear = nn.Linear(64, classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')

    def forward(self, x):
        x = self.layers(F.relu(self.bn1(self.conv1(x))))
        return self.linear(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def build(name):
    """(model, input side, classes)."""
    if name in ('resnet18', 'resnet34', 'resnet50', 'resnet101', 'resnet152'):
        import torchvision
        return getattr(torchvision.models, name)(), 224, 1000
    if name.startswith('cifar-resnet'):
        return CifarResNet(int(name[len('cifar-resnet'):])), 32, 10
    if name.startswith('resnet') and name[len('resnet'):].isdigit():
        return CifarResNet(int(name[len('resnet'):])), 32, 10
    raise SystemExit(f'pytorch_bench: unknown model "{name}" (expected resnet<6n+2>, cifar-resnet<6n+2> or resnet18..152)')


def export_onnx():
    """The model (random weights: speed only) as ONNX, atomically at spec['out']."""
    import warnings
    warnings.simplefilter('ignore')  # torch 1.13's exporter warns about its own shape inference
    torch.manual_seed(spec.get('seed', 1))
    model, side, _ = build(spec['model'])
    model.eval()
    out = spec['out']
    tmp = f'{out}.{os.getpid()}.tmp'
    try:
        torch.onnx.export(model, torch.randn(1, 3, side, side), tmp, opset_version=13,
                          input_names=['input'], output_names=['logits'],
                          dynamic_axes={'input': {0: 'batch'}, 'logits': {0: 'batch'}})
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    send('result', {'file': out, 'side': side, 'torch': torch.__version__})


def device():
    layout = 'channels_last' if spec.get('channelsLast') else 'NCHW'
    tunables = os.environ.get('GLIBC_TUNABLES')
    return f'PyTorch {torch.__version__}, {layout}' + (f', GLIBC_TUNABLES={tunables}' if tunables else '')


def main():
    if spec['mode'] == 'export-onnx':
        export_onnx()
        return
    threads, batch, mode = spec['threads'], spec['batch'], spec['mode']
    if mode not in ('train', 'infer'):
        raise SystemExit(f'pytorch_bench: mode must be train, infer or export-onnx, got "{mode}"')
    torch.set_num_threads(threads)
    torch.manual_seed(spec.get('seed', 1))
    baseline = current_rss_mb()
    model, side, classes = build(spec['model'])
    x = torch.randn(batch, 3, side, side)
    labels = torch.randint(0, classes, (batch,))
    if spec.get('channelsLast'):
        model = model.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    if mode == 'train':
        model.train()
        opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)

        def step():
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(x), labels)
            loss.backward()
            opt.step()
            return loss.item()  # the one read-back
    else:
        model.eval()

        def step():
            with torch.no_grad():
                return float(model(x).numpy().sum())  # the logits, read back

    def timed():
        t = time.perf_counter()
        step()
        return time.perf_counter() - t

    first = timed()
    first_total = seconds_since_process_start()
    send('first', {'firstStepSeconds': first_total, 'firstStepOnlySeconds': first})
    print(f'  pytorch {spec["model"]} {mode} b{batch}: first step {first:.2f} s', file=sys.stderr, flush=True)
    estimate = first * (spec['warmup'] + spec['runs'])
    budget = spec.get('maxSeconds')
    if budget is not None and estimate > budget:
        send('result', {'skipped': f'too slow here (≈{round(estimate)} s for the timed runs; raise --max-seconds)',
                          'firstStepSeconds': first_total, 'firstStepOnlySeconds': first,
                        'threads': torch.get_num_threads(), 'device': device()})
        return
    for _ in range(spec['warmup']):
        timed()
    seconds = [timed() for _ in range(spec['runs'])]
    send('result', {
        'seconds': seconds,
        'firstStepSeconds': first_total,
        'firstStepOnlySeconds': first,
        'baselineRssMB': baseline,
        'peakRssMB': max_rss_mb(),
        'threads': torch.get_num_threads(),
        'device': device(),
    })


main()
