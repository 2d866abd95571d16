#!/usr/bin/python3
"""Python eager peers for `polyplens bench model`: what a Python user runs on the same LibTorch.

Times torchvision's dilated ResNet-50 backbone (replace_stride_with_dilation=[False, True, True],
features only: the ANN-R50 backbone) and torchvision's DeepLabV3-ResNet50 at one input size, in
fp32 and in bf16 autocast, with random weights (speed does not depend on them), batch 1, under
torch.inference_mode(). Prints one JSON object on stdout; errors go to stderr with exit code 1,
and a missing torch/torchvision gives {"available": false, "reason": ...} with exit code 0.
"""
import argparse
import json
import statistics
import sys
import time


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, required=True)
    p.add_argument("--height", type=int, default=512)
    p.add_argument("--width", type=int, default=512)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--runs", type=int, default=10)
    p.add_argument("--max-seconds", type=float, default=60.0, help="time budget per model and dtype")
    p.add_argument("--dtypes", default="fp32,bf16")
    p.add_argument("--models", default="dilated_r50,deeplabv3_r50")
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
    samples.sort()
    n = len(samples)
    p90 = samples[max(1, -(-9 * n // 10)) - 1]  # nearest rank
    return {"runs": n, "median_ms": statistics.median(samples), "p90_ms": p90,
            "min_ms": samples[0], "max_ms": samples[-1], "mean_ms": statistics.fmean(samples),
            "cpu_median_ms": statistics.median(cpu)}


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
