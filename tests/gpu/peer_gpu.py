#!/usr/bin/env python3
"""The GPU peers for gpu_check's speed section, timed in the same run on the same GPU.

What a Python user would run instead of PolypLens on the GPU machine: torchvision's dilated
ResNet-50 backbone (replace_stride_with_dilation=[False, True, True], conv1..layer4: the ANN-R50
encoder without its decoder) and torchvision's DeepLabV3-ResNet50 (2 classes, no aux head), random
weights, under torch.inference_mode(), at 512x512, batch 1 and 8:
  fp32 eager (PyTorch's defaults: TF32 for convolutions on, for matmuls off),
  bf16 autocast + channels-last eager,
  bf16 autocast + channels-last replayed as a CUDA graph (torch.cuda.graph).
Also the machine's physical limit: the dense matrix-multiply peak (8192^3) in bf16 and in fp32 with
TF32 on and off. Times are CUDA-event medians. Writes JSON to --json and prints a table.
--train (or --train-only, which skips the inference rows and the matmul peak): the training-step peer
of `polyplens bench train`, the same code (core/bench/peer_bench.py's train_steps): torchvision
DeepLabV3-ResNet50 with its aux head, SGD(lr 0.01, momentum 0.9, wd 5e-4), CE(ignore 255) + 0.4 aux CE
in fp32, bf16 autocast + channels-last, random data on the GPU, at each --train-sizes crop and
--train-batch, timed in windows of --train-window steps synchronised only at their ends (JSON
"train_rows": per-step ms and images/s).
--smoke: the same on the CPU at 64x64 with 2 runs (proves the script where there is no GPU).
"""
import argparse
import importlib.util
import json
import os
import statistics
import sys
import time


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--json", default="peer_gpu.json")
    p.add_argument("--size", type=int, default=512)
    p.add_argument("--batches", default="1,8")
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--runs", type=int, default=30)
    p.add_argument("--max-seconds", type=float, default=80.0, help="stop starting new rows after this")
    p.add_argument("--smoke", action="store_true")
    p.add_argument("--train", action="store_true", help="also time DeepLabV3-ResNet50 training steps")
    p.add_argument("--train-only", action="store_true", help="only the training steps")
    p.add_argument("--train-sizes", default="512,320", help="square crops of the training rows")
    p.add_argument("--train-batch", type=int, default=8)
    p.add_argument("--train-window", type=int, default=20, help="steps per timed window")
    p.add_argument("--train-runs", type=int, default=3, help="timed windows (after one warm-up window)")
    p.add_argument("--train-dtypes", default="bf16", help="fp32 and/or bf16 (autocast)")
    p.add_argument("--train-max-seconds", type=float, default=60.0, help="stop starting new training rows after this")
    return p.parse_args()


def load_peer_bench():
    """core/bench/peer_bench.py of this checkout: the training step `polyplens bench train` runs."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "core", "bench", "peer_bench.py")
    spec = importlib.util.spec_from_file_location("peer_bench", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def train_rows(torch, torchvision, dev, args, cuda):
    """The training-step peer per crop; one row per (size, dtype), errors reported in the row."""
    rows = []
    sizes = [int(v) for v in args.train_sizes.split(",")] if cuda else [64]
    batch = args.train_batch if cuda else 2
    window, warmup, runs = (args.train_window, 1, args.train_runs) if cuda else (1, 1, 2)
    print("== Training-step peer (torchvision DeepLabV3-ResNet50, aux head, SGD, CE + 0.4 aux; %s) on %s, batch %d, "
          "windows of %d steps" % ("bf16 autocast + channels-last" if cuda else "CPU smoke", dev, batch, window),
          flush=True)
    try:
        peer_bench = load_peer_bench()
    except Exception as e:
        print("  cannot load core/bench/peer_bench.py: %s" % e, flush=True)
        return [{"error": "cannot load core/bench/peer_bench.py: %s" % str(e)[:300]}]
    start = time.perf_counter()
    for size in sizes:
        if time.perf_counter() - start > args.train_max_seconds:
            print("  (training time budget spent: remaining sizes skipped)", flush=True)
            break
        try:
            for r in peer_bench.train_steps(torch, torchvision, dev.type, size, size, batch,
                                            args.train_dtypes.split(","), warmup, runs, window,
                                            args.train_max_seconds):
                r["mode"] = ("bf16 autocast" if r["dtype"] == "bf16" else "fp32") + ("+CL" if cuda else "")
                rows.append(r)
                print("  deeplabv3_r50 train %dx%d batch %d  %-18s %8.2f ms/step  %8.1f img/s  (loss %.3f -> %.3f)"
                      % (size, size, batch, r["mode"], r["median_ms"], r["images_per_s"], r["first_loss"],
                         r["last_loss"]), flush=True)
        except Exception as e:  # report and go on with the next size
            rows.append({"model": "deeplabv3_r50", "height": size, "width": size, "batch": batch,
                         "error": str(e)[:300]})
            print("  deeplabv3_r50 train %dx%d batch %d failed: %s" % (size, size, batch, str(e)[:150]), flush=True)
        if cuda:
            torch.cuda.empty_cache()
    return rows


def build(name, torch, torchvision):
    if name == "dilated_r50":
        m = torchvision.models.resnet50(replace_stride_with_dilation=[False, True, True])
        return torch.nn.Sequential(*list(m.children())[:-2])
    return torchvision.models.segmentation.deeplabv3_resnet50(
        weights=None, weights_backbone=None, num_classes=2, aux_loss=False)


def timer(torch, cuda):
    if cuda:
        def run(fn, warmup, runs):
            for _ in range(warmup):
                fn()
            torch.cuda.synchronize()
            ms = []
            for _ in range(runs):
                a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                a.record()
                fn()
                b.record()
                b.synchronize()
                ms.append(a.elapsed_time(b))
            return ms
    else:
        def run(fn, warmup, runs):
            for _ in range(warmup):
                fn()
            ms = []
            for _ in range(runs):
                t0 = time.perf_counter()
                fn()
                ms.append((time.perf_counter() - t0) * 1000.0)
            return ms
    return run


def summary(ms, batch):
    ms = sorted(ms)
    med = statistics.median(ms)
    return {"median_ms": med, "min_ms": ms[0], "p90_ms": ms[max(1, -(-9 * len(ms) // 10)) - 1],
            "images_per_s": 1000.0 * batch / med}


def matmul_peak(torch, dev, run, n):
    out = []
    for label, dtype, tf32 in (("bf16", torch.bfloat16, False), ("fp32 TF32 off", torch.float32, False),
                               ("fp32 TF32 on", torch.float32, True)):
        prev = torch.backends.cuda.matmul.allow_tf32 if dev.type == "cuda" else None
        if dev.type == "cuda":
            torch.backends.cuda.matmul.allow_tf32 = tf32
        elif tf32:
            continue
        a = torch.randn(n, n, device=dev, dtype=dtype)
        b = torch.randn(n, n, device=dev, dtype=dtype)
        ms = run(lambda: torch.mm(a, b), 3, 10)
        med = statistics.median(ms)
        out.append({"dtype": label, "n": n, "median_ms": med, "tflops": 2.0 * n ** 3 / (med * 1e-3) / 1e12})
        if dev.type == "cuda":
            torch.backends.cuda.matmul.allow_tf32 = prev
        del a, b
    return out


def main():
    args = parse_args()
    try:
        import torch
        import torchvision
    except Exception as e:
        print("peer_gpu: cannot import torch/torchvision: %s" % e, file=sys.stderr)
        json.dump({"available": False, "reason": str(e)}, open(args.json, "w"))
        return 0
    cuda = torch.cuda.is_available() and not args.smoke
    dev = torch.device("cuda" if cuda else "cpu")
    size = args.size if cuda else 64
    warmup, runs = (args.warmup, args.runs) if cuda else (1, 2)
    batches = [int(b) for b in args.batches.split(",")]
    if cuda:
        torch.backends.cudnn.benchmark = True
    run = timer(torch, cuda)
    out = {"available": True, "torch": torch.__version__, "torchvision": torchvision.__version__,
           "device": torch.cuda.get_device_name() if cuda else "cpu (smoke)", "size": size,
           "cudnn": torch.backends.cudnn.version() if cuda else None, "rows": []}
    if args.train_only:
        out["train_rows"] = train_rows(torch, torchvision, dev, args, cuda)
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1)
        return 0
    print("== Peers (Python eager, torch %s, torchvision %s) on %s, %dx%d, CUDA-event median of %d"
          % (torch.__version__, torchvision.__version__, out["device"], size, size, runs), flush=True)
    out["matmul_peak"] = matmul_peak(torch, dev, run, 8192 if cuda else 256)
    for r in out["matmul_peak"]:
        print("  matmul peak %-14s n=%d  %8.3f ms  %7.1f TFLOP/s" % (r["dtype"], r["n"], r["median_ms"], r["tflops"]),
              flush=True)
    start = time.perf_counter()
    for name in ("dilated_r50", "deeplabv3_r50"):
        model = build(name, torch, torchvision).eval().to(dev)
        for batch in batches:
            x = torch.randn(batch, 3, size, size, device=dev)
            for mode in ("fp32 eager", "bf16 autocast+CL", "bf16 autocast+CL graph"):
                if time.perf_counter() - start > args.max_seconds:
                    print("  (time budget spent: remaining rows skipped)")
                    break
                if "graph" in mode and not cuda:
                    continue
                row = {"model": name, "batch": batch, "mode": mode}
                try:
                    bf16 = mode.startswith("bf16")
                    m = model.to(memory_format=torch.channels_last) if bf16 else model.to(
                        memory_format=torch.contiguous_format)
                    xi = x.contiguous(memory_format=torch.channels_last) if bf16 else x.contiguous()

                    def fwd():
                        with torch.inference_mode(), torch.autocast(dev.type, dtype=torch.bfloat16, enabled=bf16,
                                                                    cache_enabled=False):
                            return m(xi)

                    if "graph" in mode:
                        s = torch.cuda.Stream()
                        s.wait_stream(torch.cuda.current_stream())
                        with torch.cuda.stream(s):
                            for _ in range(3):
                                fwd()
                        torch.cuda.current_stream().wait_stream(s)
                        g = torch.cuda.CUDAGraph()
                        with torch.cuda.graph(g):
                            fwd()
                        ms = run(g.replay, warmup, runs)
                    else:
                        ms = run(fwd, warmup, runs)
                    row.update(summary(ms, batch))
                    print("  %-14s batch %d  %-24s %8.3f ms  %8.1f img/s"
                          % (name, batch, mode, row["median_ms"], row["images_per_s"]), flush=True)
                except Exception as e:  # report and go on with the next row
                    row["error"] = str(e)[:300]
                    print("  %-14s batch %d  %-24s failed: %s" % (name, batch, mode, str(e)[:150]), flush=True)
                out["rows"].append(row)
        del model
        if cuda:
            torch.cuda.empty_cache()
    if args.train:
        out["train_rows"] = train_rows(torch, torchvision, dev, args, cuda)
    with open(args.json, "w") as f:
        json.dump(out, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
