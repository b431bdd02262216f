"""The command line: help texts with defaults, errors printed with the subcommand's usage,
no progress bar on a redirected stderr."""

import numpy as np
import pytest
import scipy.io
import scipy.sparse as sp

from rnla.__main__ import main


@pytest.mark.parametrize("argv, words", [
    (["demo", "--help"], ["coherent", "(default: 65536)", "seed of every random draw"]),
    (["lp", "--help"], ["certified", "(default: pdhg)", "(default: 0.01)"]),
    (["bench", "efficiency", "--help"], ["report", "(default: efficiency-report)"]),
])
def test_every_subcommand_has_a_description_and_defaults(argv, words, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    for word in words:
        assert word in text


def test_lp_errors_print_the_lp_usage(tmp_path, capsys):
    path = tmp_path / "a.mtx"
    scipy.io.mmwrite(path, sp.coo_array(np.array([[1.0, -1.0]])))
    with pytest.raises(SystemExit):
        main(["lp", "packing", str(path)])
    err = capsys.readouterr().err
    assert "usage:" in err and " lp " in err and "negative" in err
    with pytest.raises(SystemExit):
        main(["demo", "--n", "10"])
    err = capsys.readouterr().err
    assert " demo " in err and "--n must be at least" in err


def test_no_progress_bar_when_stderr_is_not_a_terminal(capsys):
    from rnla.efficiency.suite import _progress_bar

    assert _progress_bar(10) is None            # pytest captures stderr: not a tty
