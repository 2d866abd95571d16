#!/usr/bin/python3
"""Python eager peers for `polyplens bench model` and `bench train`: what a Python user runs on the same LibTorch.

Inference (default): times torchvision's dilated ResNet-50 backbone (replace_stride_with_dilation=
[False, True, True], features only: the ANN-R50 backbone) and torchvision's DeepLabV3-ResNet50 at one
input size, in fp32 and in bf16 autocast, with random weights (speed does not depend on them), batch
1, under torch.inference_mode().

--train: times training steps of torchvision's DeepLabV3-ResNet50 (2 classes, aux head on,
weights=None) at --height x --width and --batch on --device, the Python counterpart of one
iteration of `polyplens bench train`: SGD(lr 0.01, momentum 0.9, weight decay 5e-4), zero_grad
(set_to_none), forward (under bf16 autocast for dtype bf16; channels-last model and input on CUDA),
CrossEntropy(ignore_index=255) on the main output + 0.4 x on the aux output (in fp32), backward,
step, on random data resident on the device. Timed like ours: --warmup windows, then up to --runs
windows of --window steps each, the device synchronised only at the start and the end of a window
(the losses of the window are read back there); per-step figures are window / steps.

Prints one JSON object on stdout; errors go to stderr with exit code 1, and a missing
torch/torchvision (or a torch without the asked-for CUDA device) gives {"available": false,
"reason": ...} with exit code 0.
"""
import argparse
import json
import math
import statistics
import sys
import time


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, required=True)
    p.add_argument("--height", type=int, default=512)
    p.add_argument("--width", type=int, default=512)
    p.add_argument("--warmup", type=int, default=2, help="unmeasured runs (--train: windows)")
    p.add_argument("--runs", type=int, default=10, help="measured runs (--train: windows)")
    p.add_argument("--max-seconds", type=float, default=60.0, help="time budget per model and dtype")
    p.add_argument("--dtypes", default="fp32,bf16")
    p.add_argument("--models", default="dilated_r50,deeplabv3_r50", help="inference models (ignored with --train)")
    p.add_argument("--train", action="store_true", help="time DeepLabV3-ResNet50 training steps instead")
    p.add_argument("--batch", type=int, default=8, help="--train: images per step")
    p.add_argument("--window", type=int, default=1, help="--train: steps per timed window")
    p.add_argument("--device", default="cpu", help="--train: cpu or cuda")
    return p.parse_args()


def build(name, torchvision, torch):
    if name == "dilated_r50":
        m = torchvision.models.resnet50(replace_stride_with_dilation=[False, True, True])
        return torch.nn.Sequential(*list(m.children())[:-2])  # conv1 .. layer4, no pool/fc
    if name == "deeplabv3_r50":
        # weights_backbone=None: no download; aux_loss=False: the inference graph a user exports.
        return torchvision.models.segmentation.deeplabv3_resnet50(
            weights=None, weights_backbone=None, num_classes=2, aux_loss=False)
    raise ValueError("unknown model '%s' (valid: dilated_r50, deeplabv3_r50)" % name)


def stats(samples, cpu):
    samples = sorted(samples)
    n = len(samples)
    p90 = samples[max(1, -(-9 * n // 10)) - 1]  # nearest rank
    return {"runs": n, "median_ms": statistics.median(samples), "p90_ms": p90,
            "min_ms": samples[0], "max_ms": samples[-1], "mean_ms": statistics.fmean(samples),
            "cpu_median_ms": statistics.median(cpu)}


def time_model(torch, model, x, dtype, args):
    def once():
        if dtype == "bf16":
            with torch.autocast("cpu", dtype=torch.bfloat16):
                model(x)
        else:
            model(x)

    with torch.inference_mode():
        for _ in range(args.warmup):
            once()
        samples, cpu, start = [], [], time.perf_counter()
        for _ in range(args.runs):
            t0, c0 = time.perf_counter(), time.process_time()
            once()
            cpu.append((time.process_time() - c0) * 1000.0)
            samples.append((time.perf_counter() - t0) * 1000.0)
            if time.perf_counter() - start > args.max_seconds:
                break
    return stats(samples, cpu)


def train_steps(torch, torchvision, device, height, width, batch, dtypes, warmup, runs, window, max_seconds,
                log=None):
    """Times DeepLabV3-ResNet50 training steps (module docstring); one result dict per dtype.

    Shared with tests/gpu/peer_gpu.py --train. Raises on bad arguments; a non-finite loss is an error.
    """
    dev = torch.device(device)
    cuda = dev.type == "cuda"
    if cuda:
        torch.backends.cudnn.benchmark = True
    torch.manual_seed(0)
    model = torchvision.models.segmentation.deeplabv3_resnet50(
        weights=None, weights_backbone=None, num_classes=2, aux_loss=True).to(dev).train()
    if cuda:
        model = model.to(memory_format=torch.channels_last)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    ce = torch.nn.CrossEntropyLoss(ignore_index=255)
    x = torch.randn(batch, 3, height, width, device=dev)
    if cuda:
        x = x.contiguous(memory_format=torch.channels_last)
    # Random labels: a quarter of the pixels polyp, one ignored row (255), as `bench train` had on random data.
    y = (torch.rand(batch, height, width, device=dev) < 0.25).long()
    y[:, 0] = 255

    def sync():
        if cuda:
            torch.cuda.synchronize(dev)

    results = []
    for dtype in dtypes:
        if dtype not in ("fp32", "bf16"):
            raise ValueError("unknown dtype '%s' (valid: fp32, bf16)" % dtype)
        bf16 = dtype == "bf16"

        def step():
            opt.zero_grad(set_to_none=True)
            with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=bf16):
                out = model(x)
            loss = ce(out["out"].float(), y) + 0.4 * ce(out["aux"].float(), y)  # losses in fp32
            loss.backward()
            opt.step()
            return loss.detach()

        losses_seen = []

        def one_window():
            sync()
            losses = [step() for _ in range(window)]
            values = torch.stack(losses).cpu().tolist()  # waits for the device: the end of the window
            for v in values:
                if not math.isfinite(v):
                    raise RuntimeError("peer loss is not finite (%r)" % v)
            losses_seen.extend(values)

        for _ in range(warmup):
            one_window()
        samples, cpu, start = [], [], time.perf_counter()
        for _ in range(runs):
            t0, c0 = time.perf_counter(), time.process_time()
            one_window()
            cpu.append((time.process_time() - c0) * 1000.0 / window)
            samples.append((time.perf_counter() - t0) * 1000.0 / window)
            if time.perf_counter() - start > max_seconds:
                break
        r = {"model": "deeplabv3_r50", "dtype": dtype, "mode": "train", "device": dev.type,
             "channels_last": cuda, "batch": batch, "window": window, "height": height, "width": width}
        r.update(stats(samples, cpu))  # per step
        r["window_median_ms"] = r["median_ms"] * window
        r["images_per_s"] = 1000.0 * batch / r["median_ms"]
        r["first_loss"], r["last_loss"] = losses_seen[0], losses_seen[-1]
        results.append(r)
        if log:
            log("peer deeplabv3_r50 train %s %s %dx%d batch %d: %.1f ms/step, %.1f images/s"
                % (dev.type, dtype, height, width, batch, r["median_ms"], r["images_per_s"]))
    return results


def main():
    args = parse_args()
    try:
        import torch
        import torchvision
    except Exception as e:  # ImportError, or a broken install raising something else
        print(json.dumps({"available": False, "reason": "cannot import torch/torchvision: %s" % e}))
        return 0
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    out = {"available": True, "python": sys.version.split()[0], "torch": torch.__version__,
           "torchvision": torchvision.__version__, "threads": torch.get_num_threads(),
           "height": args.height, "width": args.width, "results": []}
    if args.train:
        if args.device not in ("cpu", "cuda"):
            raise ValueError("unknown device '%s' (valid: cpu, cuda)" % args.device)
        if args.batch < 1 or args.window < 1 or args.runs < 1 or args.warmup < 0:
            raise ValueError("--batch, --window and --runs must be >= 1, --warmup >= 0")
        if args.device == "cuda" and not torch.cuda.is_available():
            print(json.dumps({"available": False, "reason": "torch %s at %s sees no CUDA device"
                              % (torch.__version__, sys.executable)}))
            return 0
        out.update({"mode": "train", "device": args.device, "batch": args.batch, "window": args.window})
        if args.device == "cuda":
            out["device_name"] = torch.cuda.get_device_name()
        out["results"] = train_steps(torch, torchvision, args.device, args.height, args.width, args.batch,
                                     args.dtypes.split(","), args.warmup, args.runs, args.window, args.max_seconds,
                                     log=lambda s: print(s, file=sys.stderr, flush=True))
        print(json.dumps(out))
        return 0
    x = torch.randn(1, 3, args.height, args.width)
    for name in args.models.split(","):
        model = build(name, torchvision, torch).eval()
        for dtype in args.dtypes.split(","):
            if dtype not in ("fp32", "bf16"):
                raise ValueError("unknown dtype '%s' (valid: fp32, bf16)" % dtype)
            r = {"model": name, "dtype": dtype, "mode": "eager" if dtype == "fp32" else "autocast"}
            r.update(time_model(torch, model, x, dtype, args))
            out["results"].append(r)
            print("peer %s %s: median %.1f ms" % (name, dtype, r["median_ms"]), file=sys.stderr, flush=True)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
