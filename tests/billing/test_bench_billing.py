"""devtools.bench_billing on a handful of plans: the sweep ticks until done, the one-tick run, the PDF.

No timings are asserted: speed is the benchmark's business, not the suite's.
"""

from devtools import bench_billing


def test_the_bench_issues_every_plan_in_capped_ticks_then_in_one(db, monkeypatch):
    monkeypatch.setattr(bench_billing, "BATCH", 5)

    result = bench_billing.measure_billing(12, 1)

    assert (result["ticked"]["invoices"], result["ticked"]["ticks"]) == (12, 3)
    assert (result["one_tick"]["invoices"], result["one_tick"]["ticks"]) == (12, 1)
    assert result["one_tick"]["queries"] < 12 * 8
    lines = bench_billing.billing_lines(result)
    assert "12 issued in 3 ticks of at most 5" in lines[1]
    assert lines[-1].startswith("Invoice PDF (ReportLab): median ")
