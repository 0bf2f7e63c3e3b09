"""The built wheel carries the grammar and works from a fresh virtual environment; the README's
test command and the wheel test both work from inside a virtualenv."""

import json
import os
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def make_venv(env_dir: Path, base: str | None = None) -> Path:
    """A new venv whose interpreter also sees the packages of the Python running this test.

    ``EnvBuilder(system_site_packages=True)`` would not do: run from inside a virtualenv, it sees
    the *base* interpreter's site-packages, not the outer venv's (no lark there). A ``.pth``
    file listing this interpreter's site directories works from anywhere, and offline. Only the
    directories are added (their own ``.pth`` files are not run), so an editable symgrad of the
    outer environment does not leak in.
    """
    if base is None:
        venv.EnvBuilder(with_pip=True).create(env_dir)
    else:
        subprocess.run([base, "-m", "venv", str(env_dir)], check=True, capture_output=True, timeout=300)
    python = env_dir / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                             check=True, capture_output=True, text=True).stdout.strip()
    ours = [p for p in sys.path if p and Path(p).is_dir() and Path(p).name in ("site-packages", "dist-packages")]
    ours.append(sysconfig.get_path("purelib"))
    Path(purelib, "outer-site.pth").write_text("".join(f"{p}\n" for p in dict.fromkeys(ours)))
    return python


def venv_env(env_dir: Path, home: Path) -> dict:
    """The environment of a shell with ``env_dir`` activated; no PYTHONPATH (use what the venv installs)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHON")}
    env.update(VIRTUAL_ENV=str(env_dir), PATH=f"{env_dir / 'bin'}:{env.get('PATH', '/usr/bin:/bin')}",
               PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_BUILD_ISOLATION="0", HOME=str(home))
    return env


@pytest.mark.slow
def test_wheel_installs_into_fresh_venv_and_runs_outside_the_repo(tmp_path):
    clean_env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # import the wheel, not a checkout
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist), str(ROOT)],
                   check=True, capture_output=True, timeout=600)
    (wheel,) = dist.glob("symgrad-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "symgrad/grammar/symgrad.lark" in names and "symgrad/py.typed" in names

    env_dir = tmp_path / "venv"
    python = make_venv(env_dir)  # the dependencies come from this interpreter, offline; symgrad from the wheel
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


def bare_base_python() -> str | None:
    """Another CPython of this minor version whose own site-packages lack symgrad's dependencies
    (Debian's /usr/bin/python3 beside pyenv's, say): a venv made from it has the dependencies
    only through the venv, which is the case the wheel test used to get wrong."""
    import shutil
    ours = os.path.realpath(getattr(sys, "_base_executable", sys.executable))
    for name in (f"python{sys.version_info.major}.{sys.version_info.minor}", "python3"):
        for folder in ("/usr/bin", "/usr/local/bin"):
            candidate = shutil.which(name, path=folder)
            if candidate and os.path.realpath(candidate) != ours:
                probe = subprocess.run([candidate, "-c", "import sys, venv, ensurepip; "
                                        "print(sys.version_info[:2]); import lark"],
                                       capture_output=True, text=True)
                if str(tuple(sys.version_info[:2])) in probe.stdout and "lark" in probe.stderr:
                    return candidate
    return None


@pytest.mark.slow
def test_wheel_test_passes_when_run_from_inside_a_venv(tmp_path):
    """The test above, run by a virtualenv's Python (it once saw the base interpreter, not the
    venv: `No module named 'lark'`). Where the machine has a second Python without the
    dependencies, the venv is made from it, so only the venv provides them."""
    env_dir = tmp_path / "outer"
    python = make_venv(env_dir, bare_base_python())
    proc = subprocess.run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
                           f"{ROOT / 'tests' / 'test_packaging.py'}::"
                           "test_wheel_installs_into_fresh_venv_and_runs_outside_the_repo",
                           "--basetemp", str(tmp_path / "inner")],
                          cwd=ROOT, capture_output=True, text=True, timeout=900, env=venv_env(env_dir, tmp_path))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "1 passed" in proc.stdout


@pytest.mark.slow
def test_readme_test_command_runs_inside_a_venv(tmp_path):
    """`bash scripts/test.sh` (the README's test command) from an activated venv: it installs into
    that venv, not around it, and runs pytest in parallel there (a reduced selection)."""
    env_dir = tmp_path / "venv"
    make_venv(env_dir)
    env = venv_env(env_dir, tmp_path)
    proc = subprocess.run(["bash", "scripts/test.sh", "-q", "tests/base/test_errors.py",
                           "--basetemp", str(tmp_path / "run")],
                          cwd=ROOT, capture_output=True, text=True, timeout=900, env=env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert " passed" in proc.stdout and "failed" not in proc.stdout
    assert "bringing up nodes" in proc.stdout, proc.stdout[-2000:]  # pytest-xdist ran it in parallel
    # symgrad was installed into this venv (editable), from this checkout
    where = subprocess.run([str(env_dir / "bin" / "python"), "-c", "import symgrad; print(symgrad.__file__)"],
                           cwd=tmp_path, capture_output=True, text=True, env=env, check=True).stdout
    assert where.strip() == str(ROOT / "symgrad" / "__init__.py")
    listed = subprocess.run([str(env_dir / "bin" / "python"), "-m", "pip", "list", "--path",
                             subprocess.run([str(env_dir / "bin" / "python"), "-c",
                                             "import sysconfig; print(sysconfig.get_path('purelib'))"],
                                            capture_output=True, text=True, check=True).stdout.strip()],
                            capture_output=True, text=True, env=env, check=True).stdout
    assert "symgrad" in listed
    # The README's first command, in the same venv: install, then the worked example.
    quick = subprocess.run(["bash", "scripts/quickstart.sh"], cwd=ROOT, capture_output=True, text=True,
                           timeout=600, env=env)
    assert quick.returncode == 0, quick.stderr[-2000:]
    assert quick.stdout.startswith("L = -8.0\n") and "a     6.0" in quick.stdout


def test_python_env_script_uses_a_venv_for_an_externally_managed_python(tmp_path):
    """scripts/python-env.sh: an active venv is used as is; a PEP 668 Python gets ./.venv instead."""
    script = ROOT / "scripts" / "python-env.sh"
    # A fake externally-managed interpreter: sys.prefix == base_prefix and a marker in its stdlib.
    stdlib = tmp_path / "stdlib"
    stdlib.mkdir()
    (stdlib / "EXTERNALLY-MANAGED").write_text("[externally-managed]\n")
    fake = tmp_path / "python3"
    fake.write_text("#!/bin/sh\nif [ \"$1\" = -c ]; then case \"$2\" in *EXTERNALLY*) echo 1;; *sys.prefix*) echo 0;;"
                    " *ensurepip*) exit 0;; esac; exit 0; fi\n"
                    "if [ \"$1\" = -m ] && [ \"$2\" = venv ]; then mkdir -p \"$3/bin\"; "
                    "printf '#!/bin/sh\\n' > \"$3/bin/python\"; chmod +x \"$3/bin/python\"; fi\n")
    fake.chmod(0o755)
    work = tmp_path / "work"
    work.mkdir()
    out = subprocess.run(["bash", "-c", f"PYTHON={fake}; source {script}; echo \"$PYTHON\""], cwd=work,
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == str(work / ".venv" / "bin" / "python")
    assert "externally managed" in out.stderr
    # Inside a venv: that venv's python, untouched.
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    out = subprocess.run(["bash", "-c", f"PYTHON={env_dir}/bin/python; source {script}; echo \"$PYTHON\""],
                         cwd=work, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == f"{env_dir}/bin/python"


def test_python_env_script_with_a_real_externally_managed_python(tmp_path):
    """Debian's own Python (PEP 668) refuses pip; python-env.sh makes ./.venv from it instead."""
    system = "/usr/bin/python3"
    marker = subprocess.run([system, "-c", "import os, sysconfig; print(os.path.exists(os.path.join("
                             "sysconfig.get_path('stdlib'), 'EXTERNALLY-MANAGED')))"],
                            capture_output=True, text=True) if os.path.exists(system) else None
    if marker is None or marker.stdout.strip() != "True":
        pytest.skip("no externally-managed system Python on this machine")
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHON")}
    out = subprocess.run(["bash", "-c", f"PYTHON={system}; source {ROOT / 'scripts' / 'python-env.sh'}; "
                          "echo \"$PYTHON\"; \"$PYTHON\" -c 'import sys; print(sys.prefix != sys.base_prefix)'"],
                         cwd=tmp_path, capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    chosen, in_venv = out.stdout.split()
    assert chosen == str(tmp_path / ".venv" / "bin" / "python") and in_venv == "True"
    refused = subprocess.run([system, "-m", "pip", "install", "--dry-run", "--no-index", "six"],
                             capture_output=True, text=True)
    if "externally-managed-environment" in refused.stderr:  # the reason the venv is needed
        ok = subprocess.run([chosen, "-m", "pip", "--version"], capture_output=True, text=True)
        assert ok.returncode == 0
