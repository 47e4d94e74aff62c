"""Times PyTorch diffusers on a Stable Diffusion folder, as candle-bench does: load
once, one warm-up image, then RUNS timed ones; prints one JSON line of figures.

python3 worker/scripts/diffusers_bench.py --model-dir DIR [--steps 25] [--size 512x512] [--runs 3] [--out first.png]
"""

import argparse
import json
import time

import diffusers
import torch
from diffusers import StableDiffusionPipeline


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model-dir", required=True)
    ap.add_argument("--prompt", default="a photograph of an astronaut riding a horse")
    ap.add_argument("--steps", type=int, default=25)
    ap.add_argument("--size", default="512x512")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--out")
    args = ap.parse_args()
    width, height = (int(v) for v in args.size.lower().split("x"))

    started = time.perf_counter()
    pipe = StableDiffusionPipeline.from_pretrained(
        args.model_dir,
        torch_dtype=torch.float16,
        safety_checker=None,
        requires_safety_checker=False,
        local_files_only=True,
    ).to("cuda")
    pipe.set_progress_bar_config(disable=True)
    torch.cuda.synchronize()
    load_s = time.perf_counter() - started
    torch.cuda.reset_peak_memory_stats()

    times = []
    for run in range(args.runs + 1):
        generator = torch.Generator("cuda").manual_seed(run)
        t = time.perf_counter()
        image = pipe(
            args.prompt, num_inference_steps=args.steps, guidance_scale=7.5, width=width, height=height, generator=generator
        ).images[0]
        torch.cuda.synchronize()
        secs = time.perf_counter() - t
        print(f"run {run}{' (warm-up)' if run == 0 else ''}: {secs:.3f} s", flush=True, file=__import__("sys").stderr)
        if run > 0:
            times.append(secs)
        elif args.out:
            image.save(args.out)
    mean = sum(times) / max(len(times), 1)
    print(
        json.dumps(
            {
                "backend": "diffusers",
                "diffusers": diffusers.__version__,
                "torch": torch.__version__,
                "device": torch.cuda.get_device_name(0),
                "dtype": "f16",
                "steps": args.steps,
                "width": width,
                "height": height,
                "guidance": 7.5,
                "scheduler": type(pipe.scheduler).__name__,
                "load_s": load_s,
                "runs": len(times),
                "seconds_per_image": mean,
                "images_per_s": 1.0 / mean if mean > 0 else 0.0,
                "steps_per_s": args.steps / mean if mean > 0 else 0.0,
                "torch_peak_allocated_mib": torch.cuda.max_memory_allocated() / 2**20,
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
