"""Progress shows on a terminal, stays silent otherwise, and times every stage either way."""

import io
import re
import time

from rich.console import Console

from ndg.progress import Stages


def console(terminal: bool) -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, force_terminal=terminal, color_system=None, width=100), out


def test_a_terminal_sees_each_stage_finish_with_its_time():
    term, out = console(True)
    stages = Stages(console=term)
    with stages.stage("build", "building the node library"):
        pass
    with stages.bar("running", 2) as advance:
        advance()
        advance()
    assert "✓ building the node library" in out.getvalue() and "2/2" in out.getvalue()
    assert set(stages.timings) == {"build"}


def test_quiet_or_not_a_terminal_prints_nothing_but_still_times():
    for stages in (Stages(quiet=True, console=console(True)[0]), Stages(console=console(False)[0])):
        with stages.stage("run", "running"):
            pass
        with stages.bar("batch", 1) as advance:
            advance()
        assert stages.console.file.getvalue() == ""
        assert stages.timings["run"] >= 0


def test_a_bar_shows_its_rate():
    term, out = console(True)
    with Stages(console=term).bar("sweeping", 4) as advance:
        for _ in range(4):
            time.sleep(0.02)
            advance()
    assert re.search(r"4/4 +[0-9.,]+/s", out.getvalue()), out.getvalue()
