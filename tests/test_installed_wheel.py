"""The package as pip installs it: one version everywhere, and complete metadata.

scripts/test.sh runs the whole suite against the built wheel, installed into a fresh
virtualenv, from outside the source tree, with MATINV_TEST_INSTALLED=1; there the first
test checks that the package really comes from site-packages.
"""

import importlib.metadata
import os
import pathlib
import re
import sysconfig

import pytest

import matinv

ROOT = pathlib.Path(__file__).resolve().parent.parent


def cargo_version():
    """[workspace.package] version in the workspace's Cargo.toml."""
    text = (ROOT / "Cargo.toml").read_text()
    section = re.search(r"^\[workspace\.package\]\n(.*?)(?=^\[)", text, re.M | re.S)
    assert section, "no [workspace.package] in Cargo.toml"
    version = re.search(r'^version\s*=\s*"([^"]+)"', section.group(1), re.M)
    assert version, "no version in [workspace.package]"
    return version.group(1)


@pytest.mark.skipif(
    os.environ.get("MATINV_TEST_INSTALLED") != "1",
    reason="only when testing the installed wheel (scripts/test.sh)",
)
def test_package_is_imported_from_site_packages():
    site = pathlib.Path(sysconfig.get_paths()["platlib"]).resolve()
    where = pathlib.Path(matinv.__file__).resolve()
    assert site in where.parents
    assert ROOT not in where.parents


def test_version_is_the_crate_version():
    assert matinv.__version__ == cargo_version()
    assert matinv._matinv.__version__ == matinv.__version__


def test_version_is_the_distribution_version():
    assert importlib.metadata.version("matinv") == matinv.__version__


def test_distribution_metadata_is_complete():
    meta = importlib.metadata.metadata("matinv")
    assert meta["Name"] == "matinv"
    assert meta["License-Expression"] == "MIT OR Apache-2.0"
    assert sorted(meta.get_all("License-File")) == ["LICENSE-APACHE", "LICENSE-MIT"]
    assert meta["Requires-Python"] == ">=3.9"
    requires = meta.get_all("Requires-Dist")
    assert "numpy<3,>=1.25" in requires or "numpy>=1.25,<3" in requires, requires
    classifiers = meta.get_all("Classifier")
    assert "Programming Language :: Rust" in classifiers
    assert "Typing :: Typed" in classifiers
    assert meta["Summary"].startswith("numpy.linalg.inv rebuilt in Rust")
    assert meta["Description-Content-Type"].startswith("text/markdown")
    # The README is the long description: the message body, which importlib_metadata's
    # backport (some test dependencies install it in place of the stdlib's) moves into a
    # "Description" field.
    body = meta.get_payload() or meta.get("Description") or ""
    assert body.lstrip().startswith("# matinv")


def test_license_files_are_shipped():
    dist = importlib.metadata.distribution("matinv")
    shipped = {pathlib.PurePosixPath(str(f)).name: f for f in dist.files}
    for name in ("LICENSE-MIT", "LICENSE-APACHE"):
        assert name in shipped, name
        text = pathlib.Path(dist.locate_file(shipped[name])).read_text()
        assert text == (ROOT / name).read_text()
