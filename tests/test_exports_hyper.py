"""Downloads of the hyperparameter views: CSV grids and PNG/SVG through kaleido."""
from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PIL import Image

import experiments
import exports
from figures import views
from config import OptimizerChoice, Racer, RunConfig
from tests.test_exports import kaleido_server  # noqa: F401  (fixture)

RUN = RunConfig("ravine", (("a", 0.1), ("b", 2.0)),
                (Racer(OptimizerChoice.build("gd", 0.1)), Racer(OptimizerChoice.build("adam", 0.1))),
                100, (-5.0, -2.0))


def rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_sweep_csv_has_every_rate_of_every_racer():
    sweeps = experiments.sweep_racers(RUN, 1e-3, 3.0, 50)
    r = rows(exports.sweep_csv(RUN, sweeps))
    assert len(r) == 100 and {x["optimizer"] for x in r} == {"gd", "adam"}
    for x, lr, st in zip(r[:50], sweeps[0].lrs, sweeps[0].status):
        assert float(x["lr"]) == lr and x["status"] == st
        assert (x["final_loss"] == "") == (st in ("diverged", "escaped"))
    assert {x["range"] for x in r} <= set(experiments.SWEEP_CLASSES)


def test_heatmap_and_basin_csv():
    hm = experiments.heatmap(RUN.get_surface(), RUN.racers[1].choice, RUN.start_point(), 1e-3, 1, 6, 50)
    r = rows(exports.heatmap_csv(hm))
    assert len(r) == 36 and list(r[0]) == ["optimizer", "lr", "beta1", "final_loss", "status", "converged_at"]
    b = experiments.basins(RUN.get_surface(), RUN.racers[0].choice, 50, 7)
    r = rows(exports.basins_csv(RUN, b))
    assert len(r) == 49
    assert [int(x["minimum"]) - 1 if x["minimum"] else -1 for x in r] == b.basin.ravel().tolist()


@pytest.mark.filterwarnings("ignore:The kopts argument is ignored:UserWarning")
def test_hyper_figures_as_png_and_svg(kaleido_server):  # noqa: F811
    sweeps = experiments.sweep_racers(RUN, 1e-3, 3.0, 40)
    figs = [views.sweep_figure_for(RUN, sweeps),
            views.basin_figure_for(RUN, experiments.basins(RUN.get_surface(), RUN.racers[0].choice, 50, 30))]
    for fig in figs:
        png = exports.hyper_image(fig, "png", width=600, height=400, scale=1)
        im = Image.open(io.BytesIO(png))
        im.load()
        assert im.size == (600, 400)
        assert np.asarray(im.convert("L")).std() > 10, "something is drawn"
        svg = exports.hyper_image(fig, "svg", width=600, height=400)
        assert ET.fromstring(svg).tag.endswith("svg")
