"""The built wheel carries the grammar and works from a fresh virtual environment."""

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_wheel_installs_into_fresh_venv_and_runs_outside_the_repo(tmp_path):
    clean_env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # import the wheel, not a checkout
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist), str(ROOT)],
                   check=True, capture_output=True, timeout=600)
    (wheel,) = dist.glob("symgrad-*.whl")
    import zipfile
    names = zipfile.ZipFile(wheel).namelist()
    assert "symgrad/grammar/symgrad.lark" in names and "symgrad/py.typed" in names

    env_dir = tmp_path / "venv"
    # System site-packages provide the dependencies offline; symgrad itself comes from the wheel.
    venv.EnvBuilder(with_pip=True, system_site_packages=True).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--force-reinstall", str(wheel)],
                   check=True, capture_output=True, timeout=600)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = subprocess.run([str(python), "-c", "import symgrad; print(symgrad.__file__)"], cwd=elsewhere,
                           check=True, capture_output=True, text=True, env=clean_env).stdout
    assert str(env_dir) in where
    proc = subprocess.run([str(env_dir / "bin" / "symgrad"), "grad", "e = a*b; d = e + c; L = d*f",
                           "--at", "a=2", "b=-3", "c=10", "f=-2", "--json"],
                          cwd=elsewhere, capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["grads"]["a"] == 6.0
