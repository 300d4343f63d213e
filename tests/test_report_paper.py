"""What a paper needs beyond the tables: connectivity statistics and figure, the
simulation protocol, hashes and checksums, provenance, and the JSON export."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from jnsim import (
    Hz,
    JnsimError,
    Network,
    NeuronGroup,
    PoissonInput,
    SpikeGeneratorGroup,
    Synapses,
    TimedArray,
    load_report,
    ms,
    mV,
    network_operation,
    report,
    start_scope,
    stop,
)
from jnsim.report import gather, write_report
from jnsim.report.connectivity import degree_histogram
from jnsim.report.export import SCHEMA, schema_fields
from tests.report_models import MODELS, built_and_run, objects_of
from tests.test_report import cuba, song_stdp

ROOT = Path(__file__).resolve().parent.parent


def facts_of(names: dict[str, Any]) -> Any:
    return gather(objects_of(names), names)


# -- connectivity --------------------------------------------------------------------

def _expected_degrees(indices: np.ndarray, size: int) -> tuple[list[float], list[int]]:
    """Degree histogram computed independently: bincount of the indices, then a
    bincount of the degrees, regrouped in bins of the same width."""
    degrees = np.bincount(indices, minlength=size)
    per_value = np.bincount(degrees - degrees.min())
    width = max(1, -(-(degrees.max() - degrees.min() + 1) // 40))
    counts = np.add.reduceat(per_value, np.arange(0, per_value.size, width))
    edges = degrees.min() - 0.5 + width * np.arange(counts.size + 1)
    return list(edges), list(counts)


@pytest.mark.parametrize("model", ["cuba", "stdp"])
def test_degree_histograms_match_bincount_of_the_connections(model: str) -> None:
    names = cuba(400) if model == "cuba" else song_stdp(300)
    synapses = [names["Ce"], names["Ci"]] if model == "cuba" else [names["S"]]
    facts = facts_of(names)
    assert [c.name for c in facts.connectivity] == [
        "Ce", "Ci"] if model == "cuba" else ["S"]
    for stats, s in zip(facts.connectivity, synapses, strict=True):
        n_source, n_target = s.source.N, s.target.N
        edges, counts = _expected_degrees(np.asarray(s.i_array), n_source)
        assert list(stats.out_degree.edges) == edges
        assert list(stats.out_degree.counts) == counts
        edges, counts = _expected_degrees(np.asarray(s.j_array), n_target)
        assert list(stats.in_degree.edges) == edges
        assert list(stats.in_degree.counts) == counts
        assert sum(stats.in_degree.counts) == n_target
        assert sum(stats.out_degree.counts) == n_source
        assert stats.synapses == s.N
        in_degrees = np.bincount(np.asarray(s.j_array), minlength=n_target)
        if in_degrees.min() == in_degrees.max():  # all-to-all: one value
            assert stats.in_degree_summary == str(in_degrees.min())
        else:
            assert stats.in_degree_summary == (
                f"min {in_degrees.min()}, mean {float(f'{in_degrees.mean():.4g}'):g}, "
                f"max {in_degrees.max()}")


def test_wide_degree_ranges_are_binned() -> None:
    indices = np.repeat(np.arange(5), [0, 1, 50, 100, 300])
    histogram = degree_histogram(indices, 5, "in-degree")
    edges, counts = _expected_degrees(indices, 5)
    assert list(histogram.edges) == edges and list(histogram.counts) == counts
    assert len(histogram.counts) <= 40 and sum(histogram.counts) == 5


def test_weight_and_delay_histograms_and_signs(tmp_path: Path) -> None:
    names = song_stdp(300)
    names["S"].delay = "1*ms + 4*ms*rand()"
    stats = facts_of(names).connectivity[0]
    weights = np.asarray(names["S"].w[:], dtype=float)
    counts, edges = np.histogram(weights, bins=40)
    assert list(stats.weights.counts) == list(counts)
    assert np.allclose(stats.weights.edges, edges)
    assert stats.weights.unit == "" and stats.weights.label == "w"
    delays_ms = np.asarray(names["S"].delay[:] / ms, dtype=float)
    counts, edges = np.histogram(delays_ms, bins=40)
    assert stats.delays.unit == "ms"
    assert list(stats.delays.counts) == list(counts)
    assert np.allclose(stats.delays.edges, edges)
    assert stats.sign == "excitatory"
    cuba_stats = facts_of(cuba()).connectivity
    assert [c.sign for c in cuba_stats] == ["excitatory", "inhibitory"]
    assert [c.weight_summary for c in cuba_stats] == ["1.62 mV", "-9 mV"]


def test_conductance_onto_an_inhibitory_variable_is_inhibitory() -> None:
    from tests.test_report import cobahh_like

    signs = [c.sign for c in facts_of(cobahh_like(40)).connectivity]
    assert signs == ["excitatory", "inhibitory"]  # ge += we, gi += wi (both positive)


def test_figure_is_written_next_to_the_report_and_referenced(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    names = cuba()
    markdown = report(tmp_path / "model.md", namespace=names)
    latex = report(tmp_path / "model.tex", namespace=names)
    png, pdf = tmp_path / "model-connectivity.png", tmp_path / "model-connectivity.pdf"
    assert png.read_bytes().startswith(b"\x89PNG") and png.stat().st_size > 10_000
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 5_000
    assert "](model-connectivity.png)" in markdown
    assert "{model-connectivity.pdf}" in latex and "\\includegraphics" in latex
    none = report(tmp_path / "plain.md", namespace=names, figure=False)
    assert "*Connectivity figure omitted: not requested (figure=False).*" in none
    assert not (tmp_path / "plain-connectivity.png").exists()


def _script(body: str) -> str:
    return f"import sys\nsys.path.insert(0, {str(ROOT)!r})\n" + body


def test_matplotlib_is_not_imported_without_a_figure(tmp_path: Path) -> None:
    code = _script(f"""
from tests.test_report import cuba
from jnsim import report
names = cuba()
text = report({str(tmp_path / 'm.md')!r}, namespace=names, figure=False)
assert 'matplotlib' not in sys.modules, 'matplotlib was imported'
sys.modules['matplotlib'] = None  # as if it were not installed
text = report({str(tmp_path / 'n.md')!r}, namespace=names)
print(text.split('## Connectivity')[1].split('|')[0])
""")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=300, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "*Connectivity figure omitted: matplotlib is not installed.*" in result.stdout
    assert not (tmp_path / "n-connectivity.png").exists()


def test_notebook_display_leaves_the_figure_to_reports_that_ask_for_it() -> None:
    pytest.importorskip("matplotlib")
    from jnsim.display import network_markdown
    from jnsim.report import network_markdown as report_markdown

    names = cuba(40)
    net = Network(*objects_of(names))
    # a network shown in a notebook: the statistics, not the (slow to draw) figure
    text = network_markdown(net)
    assert text is not None and "#### Connectivity" in text
    assert "data:image" not in text and "figure omitted" not in text
    embedded = report_markdown(net, figure=True)
    assert "](data:image/png;base64,iVBOR" in embedded


# -- protocol -------------------------------------------------------------------------

def test_protocol_lists_each_run_and_the_stimulus_schedule(tmp_path: Path) -> None:
    start_scope()
    tau = 10 * ms
    steps = TimedArray([0, 2, 1] * mV, dt=5 * ms)
    G = NeuronGroup(4, "dv/dt = (steps(t) - v)/tau : volt", threshold="v > 1*mV",
                    reset="v = 0*mV", method="euler")
    pulses = SpikeGeneratorGroup(2, [0, 1, 0, 1], [1, 2, 12, 30] * ms)
    feed = Synapses(pulses, G, on_pre="v += 0.5*mV")
    feed.connect()
    noise = PoissonInput(G, "v", 10, 5 * Hz, weight=0.1 * mV)

    @network_operation(dt=5 * ms)
    def watch() -> None:
        pass

    net = Network(G, pulses, feed, noise, watch)
    text = report(tmp_path / "p.md", network=net, namespace=locals(), figure=False)
    assert "# Simulation protocol\n\nNot run yet." in text
    net.run(10 * ms, namespace=locals())
    noise.active = False
    net.run(15 * ms, namespace=locals())
    text = report(tmp_path / "p.md", network=net, namespace=locals(), figure=False)
    for row in ("| 1 | network | 0 ms | 10 ms | 10 ms | 0.1 ms | 100 |",
                "| 2 | network | 10 ms | 15 ms | 25 ms | 0.1 ms | 150 |",
                "| pulses | SpikeGeneratorGroup | 4 spikes at 1 ms, 2 ms, 12 ms, 30 ms; "
                "in run 1: 2, 2: 1 | all |",
                "| noise | PoissonInput | 10 inputs at a constant 5 Hz while G runs | 1 |",
                "| watch | network operation | Python code every 5 ms | all |",
                "| steps | TimedArray | 0 mV, 2 mV, 1 mV, one every 5 ms, from 0 ms to 15 ms; "
                "the last value holds after that | all |",
                "Degrees, weights and delays at t = 25 ms."):
        assert row in text, f"{row!r} not in:\n{text}"
    facts = gather(net.objects, locals())
    assert [(r.start, r.duration, r.steps) for r in facts.runs] == [
        (0.0, pytest.approx(0.010), 100), (pytest.approx(0.010), pytest.approx(0.015), 150)]


def test_a_stopped_run_and_a_new_simulation(tmp_path: Path) -> None:
    start_scope()
    tau = 10 * ms
    G = NeuronGroup(1, "dv/dt = -v/tau : volt")

    @network_operation(dt=1 * ms)
    def halt(t: Any) -> None:
        if t >= 3 * ms:
            stop()

    net = Network(G, halt)
    net.run(10 * ms, namespace=locals())
    text = report(tmp_path / "s.md", network=net, namespace=locals())
    assert "| 1 | network | 0 ms | 3.1 ms (stopped; 10 ms asked) | 3.1 ms |" in text
    fresh = Network(G)  # a new network from t = 0: a new protocol
    fresh.run(2 * ms, namespace=locals())
    facts = gather(fresh.objects, locals())
    assert [(r.start, r.duration) for r in facts.runs] == [(0.0, pytest.approx(0.002))]


# -- hashes and checksums ---------------------------------------------------------------

_HASH_SCRIPT = """
from tests.report_models import MODELS, objects_of
from jnsim.report import gather
names = MODELS[{model!r}]()
print(gather(objects_of(names), names).network_hash)
"""


@pytest.mark.parametrize("model", ["cuba", "stdp"])
def test_network_hash_is_the_same_in_two_processes(model: str, tmp_path: Path) -> None:
    hashes = []
    for _ in range(2):
        result = subprocess.run([sys.executable, "-c", _script(_HASH_SCRIPT.format(
            model=model))], capture_output=True, text=True, timeout=300, cwd=tmp_path)
        assert result.returncode == 0, result.stderr[-3000:]
        hashes.append(result.stdout.strip().splitlines()[-1])
    assert hashes[0] == hashes[1] and len(hashes[0]) == 64
    names = MODELS[model]()
    assert facts_of(names).network_hash == hashes[0]  # and in this process


def test_network_hash_changes_with_a_parameter_or_a_synapse_only() -> None:
    def network_hash(names: dict[str, Any]) -> str:
        return facts_of(names).network_hash

    names = MODELS["stdp"]()
    first = network_hash(names)
    assert network_hash(names) == first
    names["S"].w[0] = names["S"].w[0] + 1e-9  # one weight
    assert network_hash(names) != first
    names = MODELS["stdp"]()
    names["taum"] = 10.000001 * ms  # one external constant
    assert network_hash(names) != first
    names = MODELS["stdp"]()
    names["S"].delay[3] = 1 * ms  # one delay
    assert network_hash(names) != first
    names = MODELS["cuba"]()
    base = network_hash(names)
    names["Ce"].connect(i=0, j=5)  # one more synapse
    assert network_hash(names) != base
    names = MODELS["cuba"]()
    names["P"].v[7] = -55 * mV  # one initial value
    assert network_hash(names) != base


def test_network_hash_describes_the_set_up_not_the_state_after_runs() -> None:
    names = MODELS["stdp"]()
    before = facts_of(names).network_hash
    weights = np.array(names["S"].w[:])
    network = Network(*objects_of(names))
    network.run(200 * ms, namespace=names)
    assert not np.array_equal(names["S"].w[:], weights)  # the weights are plastic
    assert facts_of(names).network_hash == before


def test_data_checksums_are_sha256_of_the_recorded_arrays() -> None:
    names = built_and_run("cuba")
    checksums = {(c.monitor, c.variable): c for c in facts_of(names).data_checksums}
    spikes, trace = names["spikes"], names["trace"]
    for key, array in ((("spikes", "t"), spikes.t_), (("spikes", "i"), spikes.i),
                       (("trace", "v"), trace.v_.T), (("trace", "t"), trace.t_)):
        array = np.ascontiguousarray(np.asarray(array))
        assert checksums[key].sha256 == hashlib.sha256(array.tobytes()).hexdigest(), key
        assert checksums[key].dtype == array.dtype.name
    assert checksums[("trace", "v")].shape == "150×2"
    names["_network"].run(1 * ms, namespace=names)
    again = {(c.monitor, c.variable): c.sha256 for c in facts_of(names).data_checksums}
    assert again[("trace", "v")] != checksums[("trace", "v")].sha256


def test_provenance(tmp_path: Path) -> None:
    facts = facts_of(cuba(40))
    p = facts.provenance
    assert p is not None and p.date.endswith("+00:00")
    assert dict(p.versions)["numpy"] == np.__version__
    assert p.python.endswith(".".join(map(str, sys.version_info[:3])))
    assert "logical cores" in p.cpu and p.command
    code = _script("""
from tests.test_report import cuba
from tests.report_models import objects_of
from jnsim.report import gather
names = cuba(20)
p = gather(objects_of(names), names).provenance
print(p.source); print(p.git_commit); print(p.git_dirty)
""")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "model.py").write_text(code)
    git = ["git", "-c", "user.email=a@b", "-c", "user.name=a"]
    for command in (["init", "-q"], ["add", "model.py"], ["commit", "-qm", "model"]):
        subprocess.run(git + command, cwd=repo, check=True, capture_output=True)
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True,
                            text=True, check=True).stdout.strip()
    for dirty in (False, True):
        if dirty:
            (repo / "model.py").write_text(code + "\n# changed\n")
        result = subprocess.run([sys.executable, "model.py"], cwd=repo, capture_output=True,
                                text=True, timeout=300)
        assert result.returncode == 0, result.stderr[-3000:]
        source, found, flag = result.stdout.strip().splitlines()[-3:]
        assert source == str((repo / "model.py").resolve())
        assert found == commit and flag == str(dirty)


# -- JSON ---------------------------------------------------------------------------------

@pytest.mark.parametrize("model", sorted(MODELS))
def test_json_round_trip_gives_the_same_report(model: str, tmp_path: Path) -> None:
    names = built_and_run(model)
    facts = gather(objects_of(names), names, title=f"{model} & co", author="A. Modeller")
    text = write_report(facts, tmp_path / "model.json")
    data = json.loads(text)
    assert data["schema"] == SCHEMA == "jnsim-report/1"
    loaded = load_report(tmp_path / "model.json")
    assert loaded == facts
    for name in ("model.md", "model.tex"):
        direct = write_report(facts, tmp_path / f"direct-{name}", figure=False)
        again = write_report(loaded, tmp_path / f"loaded-{name}", figure=False)
        assert again == direct
    # report() itself: the same text but for the moment it was made
    names.pop("_network")
    direct = report(tmp_path / "r.md", namespace=names)
    report(tmp_path / "r.json", namespace=names)
    again = write_report(load_report(tmp_path / "r.json"), tmp_path / "r.md")
    assert _without_date(again) == _without_date(direct)


def _without_date(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.startswith("* Date: "))


def test_json_mistakes(tmp_path: Path) -> None:
    with pytest.raises(JnsimError, match=r"unknown file type '\.docx'"):
        report(tmp_path / "model.docx", namespace=cuba(20))
    with pytest.raises(JnsimError, match=r"\.md \(Markdown\), \.tex \(LaTeX\) or \.json"):
        write_report(facts_of(cuba(20)), tmp_path / "model")
    (tmp_path / "other.json").write_text('{"schema": "something/2"}')
    with pytest.raises(JnsimError, match="not a jnsim report of schema 'jnsim-report/1'"):
        load_report(tmp_path / "other.json")
    (tmp_path / "broken.json").write_text('{"schema": "jnsim-report/1", "facts": {}}')
    with pytest.raises(JnsimError, match="facts: missing title"):
        load_report(tmp_path / "broken.json")
    with pytest.raises(JnsimError, match="cannot read the report"):
        load_report(tmp_path / "missing.json")


def test_the_schema_is_documented() -> None:
    """docs/reports.md names every field of the JSON schema."""
    docs = (ROOT / "docs" / "reports.md").read_text()
    missing = [path for path in schema_fields() if f"`{path}`" not in docs]
    assert not missing, f"fields not documented in docs/reports.md: {missing}"


def test_runs_from_t0_keep_only_the_latest_initial_state():
    # a sweep's worker or an explorer restores t = 0 and runs again, thousands of times:
    # the protocol must not keep a copy of the network's state per run
    from jnsim import Network, NeuronGroup, ms
    from jnsim.protocol import _RECORDS, runs_of

    G = NeuronGroup(10, "dv/dt = -v/(10*ms) : 1")
    net = Network(G)
    net.store("start")
    for _ in range(5):
        net.restore("start")
        net.run(1 * ms)
    mine = [r for r in _RECORDS if r.simulated(G)]
    assert len(mine) == 5
    assert [r.initial_state is not None for r in mine] == [False] * 4 + [True]
    assert runs_of([G]) == mine[-1:]
