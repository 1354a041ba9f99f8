"""Shared pytest configuration for matinv's tests."""


def pytest_configure(config):
    # numpy's shipped linalg tests (run against matinv in test_numpy_suite.py) use markers
    # that numpy's own conftest registers; pyproject.toml runs pytest with --strict-markers,
    # so they have to be known before those modules are imported.
    config.addinivalue_line("markers", "slow: numpy's marker for its longer-running tests")
    config.addinivalue_line("markers", "thread_unsafe: numpy's marker for thread-unsafe tests")
