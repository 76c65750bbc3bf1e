"""Benchmark: the 35-region ranked bar at 1080×1350, against the naive way of drawing it.

Renders the population of Central Java's 35 kabupaten/kota (``pressroom/data``) as the
portrait ranked bar, which the renderer splits into a three-image carousel, calling
``pressroom.charts.drawing`` directly (the image cache is bypassed: every image is drawn and
encoded). In the same run, interleaved so both see the same machine, a baseline draws the same
pages the naive way: ``pyplot.figure(figsize, dpi)`` per image, the same bars with the same
rank, name and value labels (Matplotlib text, the same bundled font), ``tight_layout()``,
``savefig`` to an in-memory PNG with default arguments, then Pillow opens that PNG, adds the
same frame (``charts.frame``) and saves it with Pillow's defaults.

It prints the median ms per image of both, images/second with one and with two worker
processes (spawned and warmed up before the clock starts, released together, each rendering the
same number of carousels; the best of two alternated runs of each), and the resident memory of
a fresh process after 50 and after 500 images.

Goals: median <= 0.6 x the baseline's; two processes >= 1.6 x one process's throughput;
resident memory after 500 images within 50 MB of that after 50.

The load average is printed: other work on the machine lowers the two-process speed-up most.

    python bench/render.py [--rounds 12] [--carousels 25] [--repeats 2] [--images 500]
"""

from __future__ import annotations

import argparse
import csv
import gc
import io
import multiprocessing
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from datetime import date  # noqa: E402

from PIL import Image  # noqa: E402

from pressroom.charts import Branding, ChartSpec, render  # noqa: E402
from pressroom.charts.spec import PRESETS  # noqa: E402

TARGET_RATIO, TARGET_SPEEDUP, TARGET_GROWTH_MB = 0.6, 1.6, 50.0
REGIONS_CSV = ROOT / "pressroom" / "data" / "jateng_kabkota_2025.csv"
PRESET = "portrait"


# The chart ------------------------------------------------------------------------------------
def scenario() -> tuple[list[dict], ChartSpec, Branding]:
    with REGIONS_CSV.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    spec = ChartSpec("ranked_bar", "Jumlah penduduk kabupaten/kota di Jawa Tengah",
                     value_column="penduduk_total", label_column="nama_kabupaten_kota",
                     subtitle="Semester I 2025, jiwa", unit="jiwa")
    branding = Branding("Dinas Kependudukan dan Pencatatan Sipil", primary="#1f4e79", accent="#f2a900",
                        source="Kepmendagri No. 300.2.2-2138/2025", processed_by="Diskominfo Jateng",
                        data_date=date(2025, 6, 30), public_url="https://pressroom.example/data/penduduk-2025")
    return rows, spec, branding


def render_ours(rows, spec, branding) -> list[bytes]:
    return [image.png for image in render(rows, spec, branding, PRESET)]


def render_naive(rows, spec, branding) -> list[bytes]:
    """The same pages drawn the way a first attempt would: a pyplot figure per image, text by
    Matplotlib, tight_layout, savefig with defaults, then Pillow decodes, frames and re-encodes."""
    from matplotlib import pyplot

    from pressroom.charts import frame
    from pressroom.charts.canvas import BLUE
    from pressroom.charts.fonts import matplotlib_font
    from pressroom.charts.prepare import prepare, short_label
    from pressroom.charts.text import chart_subtitle, value_text

    preset = PRESETS[PRESET]
    prepared = prepare(rows, spec, preset)
    pngs = []
    for page in prepared.pages:
        layout = frame.plan(preset, branding, spec.title, chart_subtitle(spec), carousel=page.count > 1)
        _x, _y, width, height = layout.chart
        dpi = 100
        points = 26 * 72 / dpi  # the renderer's 26 px labels
        figure = pyplot.figure(figsize=(width / dpi, height / dpi), dpi=dpi)
        axes = figure.add_subplot()
        positions = list(range(len(page.items)))
        values = [item.value for item in page.items]
        axes.barh(positions, values, height=0.56, color=BLUE)
        axes.set_yticks(positions, [f"{item.rank}  {short_label(item.label)}" for item in page.items])
        for tick in axes.get_yticklabels():
            tick.set_fontproperties(matplotlib_font(points))
        for position, value in zip(positions, values, strict=True):
            axes.text(value, position, "  " + value_text(value, spec.unit, with_unit=False), va="center",
                      fontproperties=matplotlib_font(points, bold=True))
        axes.set_xlim(0, prepared.scale[1] * 1.25)
        axes.set_ylim(max(len(positions), max(len(p.items) for p in prepared.pages)) - 0.5, -0.5)
        axes.set_xticks([])
        axes.tick_params(axis="y", length=0)
        for side in ("top", "right", "bottom"):
            axes.spines[side].set_visible(False)
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        pyplot.close(figure)
        buffer.seek(0)
        chart = Image.open(buffer).convert("RGB")
        image = frame.compose(layout, branding, chart, [], page)
        out = io.BytesIO()
        image.save(out, format="PNG")
        pngs.append(out.getvalue())
    return pngs


# Measurements ---------------------------------------------------------------------------------
def timed(function, *args) -> tuple[float, int]:
    start = time.perf_counter()
    images = function(*args)
    return time.perf_counter() - start, len(images)


def compare(rounds: int) -> tuple[float, float]:
    """Median ms per image of the renderer and of the naive baseline, interleaved."""
    import matplotlib

    matplotlib.use("Agg")
    data = scenario()
    for _ in range(2):  # warm-up: imports, font and glyph caches, the reused Figure
        render_ours(*data)
        render_naive(*data)
    ours, naive = [], []
    for _ in range(rounds):
        seconds, count = timed(render_ours, *data)
        ours.append(seconds * 1000 / count)
        seconds, count = timed(render_naive, *data)
        naive.append(seconds * 1000 / count)
    return statistics.median(ours), statistics.median(naive)


def _worker(inbox, outbox) -> None:
    """A render process: warm up, then on each request render that many carousels after "go"."""
    data = scenario()
    render_ours(*data)
    outbox.put("warm")
    while (carousels := inbox.get()) is not None:
        outbox.put("ready")
        inbox.get()  # "go"
        images, cpu = 0, time.process_time()
        for _ in range(carousels):
            images += len(render_ours(*data))
        outbox.put((images, time.process_time() - cpu))


class Workers:
    """Spawned render processes kept for every throughput run (start-up is not measured)."""

    def __init__(self, count: int):
        context = multiprocessing.get_context("spawn")
        self.outbox = context.Queue()
        self.inboxes = [context.Queue() for _ in range(count)]
        self.processes = [context.Process(target=_worker, args=(inbox, self.outbox))
                          for inbox in self.inboxes]
        for process in self.processes:
            process.start()
        for _ in self.processes:
            assert self.outbox.get() == "warm"

    def throughput(self, active: int, carousels: int) -> tuple[float, float]:
        """Images per second from ``active`` processes rendering ``carousels`` carousels each, and
        the CPU ms each image took (equal in both modes when the cores were free)."""
        inboxes = self.inboxes[:active]
        for inbox in inboxes:
            inbox.put(carousels)
        for _ in inboxes:
            assert self.outbox.get() == "ready"
        start = time.perf_counter()
        for inbox in inboxes:
            inbox.put("go")
        done = [self.outbox.get() for _ in inboxes]
        elapsed = time.perf_counter() - start
        images = sum(n for n, _cpu in done)
        return images / elapsed, sum(cpu for _n, cpu in done) * 1000 / images

    def close(self) -> None:
        for inbox in self.inboxes:
            inbox.put(None)
        for process in self.processes:
            process.join()


def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _memory_worker(images: int, checkpoint: int, results) -> None:
    from pressroom.charts.drawing import render_page
    from pressroom.charts.prepare import prepare

    rows, spec, branding = scenario()
    preset = PRESETS[PRESET]
    prepared = prepare(rows, spec, preset)
    seen = {}
    for n in range(1, images + 1):
        render_page(prepared, prepared.pages[n % len(prepared.pages)], branding, preset)
        if n in (checkpoint, images):
            gc.collect()
            seen[n] = _rss_mb()
    results.put(seen)


def memory(images: int, checkpoint: int) -> dict[int, float]:
    """Resident memory (MB) of a fresh process after ``checkpoint`` and after ``images`` images."""
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    worker = context.Process(target=_memory_worker, args=(images, checkpoint, results))
    worker.start()
    seen = results.get()
    worker.join()
    return seen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=12, help="timed carousels of each kind")
    parser.add_argument("--carousels", type=int, default=25, help="carousels per worker process")
    parser.add_argument("--repeats", type=int, default=2, help="throughput runs of each kind, alternated")
    parser.add_argument("--images", type=int, default=500, help="images before the second memory reading")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    size = f"{PRESETS[PRESET].width}×{PRESETS[PRESET].height}"
    print(f"35-region ranked bar at {size}: a carousel of 3 images; {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}", flush=True)

    ours, naive = compare(args.rounds)
    print(f"renderer  median {ours:7.1f} ms/image   ({args.rounds} carousels)", flush=True)
    print(f"naive     median {naive:7.1f} ms/image   (pyplot + tight_layout + savefig + Pillow re-frame)",
          flush=True)

    workers = Workers(2)
    try:
        runs: dict[int, list[tuple[float, float]]] = {1: [], 2: []}
        for _ in range(args.repeats):  # alternated, so both see the same machine
            for active in (1, 2):
                runs[active].append(workers.throughput(active, args.carousels))
    finally:
        workers.close()
    single, double = max(runs[1])[0], max(runs[2])[0]  # the best of each: the least disturbed run
    for active, label in ((1, "1 process  "), (2, "2 processes")):
        shown = ", ".join(f"{rate:.1f}" for rate, _cpu in runs[active])
        cpu = max(runs[active])[1]
        print(f"{label} {max(runs[active])[0]:6.1f} images/s   (best of {shown}; {cpu:.1f} CPU ms/image)",
              flush=True)

    checkpoint = min(50, args.images)
    seen = memory(args.images, checkpoint)
    growth = seen[args.images] - seen[checkpoint]
    print(f"RSS after {checkpoint} images {seen[checkpoint]:.1f} MB, after {args.images} images "
          f"{seen[args.images]:.1f} MB", flush=True)
    print(f"finished in {time.perf_counter() - started:.0f}s (load average {os.getloadavg()[0]:.1f})",
          flush=True)

    ratio, speedup = ours / naive, double / single
    for name, value, op, target, unit, met in (
        ("median_vs_naive", ratio, "<=", TARGET_RATIO, "x", ratio <= TARGET_RATIO),
        ("two_process_throughput", speedup, ">=", TARGET_SPEEDUP, "x", speedup >= TARGET_SPEEDUP),
        (f"rss_growth_{checkpoint}_to_{args.images}", growth, "<=", TARGET_GROWTH_MB, " MB",
         growth <= TARGET_GROWTH_MB),
    ):
        shown = f"{value:.2f}{unit}" if unit == "x" else f"{value:.1f}{unit}"
        print(f"goal {name}: {shown} (target {op} {target:g}{unit}) {'met' if met else 'not met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
