"""pytest plugin: the ``>>>`` examples of Markdown files' ```` ```python ```` blocks as doctests.

pytest's own ``--doctest-glob`` reads a whole text file, so a closing fence right after an
example's output is taken as part of the expected output. This plugin keeps only what is
inside ```` ```python ```` fences (every other line becomes blank, so line numbers stay
right) and runs it as one doctest per file, with the doctest option flags of the pytest
configuration (``doctest_optionflags``). Code blocks without ``>>>`` prompts are not run.

Use: ``PYTHONPATH=docs/_ext python -m pytest -p doctest_md README.md docs``.
"""

import doctest
import re

import pytest

_OPEN = re.compile(r"^\s*```\s*(python|pycon|\{code-cell\}\s*python)?\s*$")
_FLAGS = {name: flag for name, flag in doctest.OPTIONFLAGS_BY_NAME.items()}


def doctest_text(markdown):
    """The text of the python fences of `markdown`; every other line blank."""
    out = []
    inside = False
    for line in markdown.splitlines():
        stripped = line.strip()
        if not inside:
            m = _OPEN.match(line)
            inside = bool(m and m.group(1))
            out.append("")
        elif stripped.startswith("```"):
            inside = False
            out.append("")
        else:
            out.append(line)
    return "\n".join(out) + "\n"


def pytest_collect_file(file_path, parent):
    if file_path.suffix == ".md":
        return MarkdownFile.from_parent(parent, path=file_path)
    return None


class MarkdownFile(pytest.File):
    def collect(self):
        text = doctest_text(self.path.read_text(encoding="utf-8"))
        if doctest.DocTestParser().get_examples(text):
            yield MarkdownDoctest.from_parent(self, name=self.path.name)


class DoctestFailed(Exception):
    pass


class MarkdownDoctest(pytest.Item):
    def runtest(self):
        text = doctest_text(self.path.read_text(encoding="utf-8"))
        test = doctest.DocTestParser().get_doctest(
            text, globs={}, name=self.path.name, filename=str(self.path), lineno=0
        )
        flags = 0
        for name in self.config.getini("doctest_optionflags"):
            flags |= _FLAGS[name]
        runner = doctest.DocTestRunner(optionflags=flags, verbose=False)
        report = []
        runner.run(test, out=report.append)
        if runner.failures:
            raise DoctestFailed("".join(report))

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, DoctestFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, 0, f"[doctest] {self.name}"
