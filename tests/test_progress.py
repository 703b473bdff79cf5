"""Progress on long work: plain lines when stderr is not a terminal (a log file, CI)."""

import kegan.progress as progress


def test_plain_progress_lines_when_not_a_terminal(monkeypatch, capsys):
    monkeypatch.setattr(progress, "LOG_EVERY_S", 0.0)
    assert list(progress.track(range(3), "reading")) == [0, 1, 2]
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("reading: ")]
    assert [line.split(",")[0] for line in lines] == ["reading: 1/3", "reading: 2/3", "reading: 3/3"]


def test_no_plain_lines_within_the_interval(monkeypatch, capsys):
    monkeypatch.setattr(progress, "LOG_EVERY_S", 3600.0)
    list(progress.track(range(3), "reading"))
    assert not [line for line in capsys.readouterr().err.splitlines() if line.startswith("reading: ")]
