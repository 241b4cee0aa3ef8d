"""Load test (run on demand: pytest -m slow): 20,000 tags, 64 in flight, through the fault proxy."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Iterator

import pytest
from testkit.front import Faults, Front
from testkit.registry import RegistryProcess
from testkit.storage import write_many

from whichtag.names.tagnames import natural_sorted

pytestmark = pytest.mark.slow

TAGS = 20_000
RSS_LIMIT_KB = 150 * 1024

_RUNNER = """
import json, resource, sys
from whichtag import Options, find_same_tags_sync
options = Options(concurrency=64, backoff_base=0.05, read_timeout=2.0, attempts=8, timeout=900)
result = find_same_tags_sync(sys.argv[1], options)
print(json.dumps({**result.to_json(),
                  "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


@pytest.fixture(scope="module")
def load_registry() -> Iterator[tuple[RegistryProcess, dict[str, str]]]:
    storage = tempfile.mkdtemp(prefix="whichtag-load-")
    digests = write_many(storage, "load/repo", TAGS)
    with RegistryProcess(storage=storage) as registry:
        yield registry, digests


def test_20000_tags_through_faults_exact_and_bounded(
    load_registry: tuple[RegistryProcess, dict[str, str]],
) -> None:
    registry, digests = load_registry
    target = "123.45.3086"
    expected = natural_sorted([t for t, d in digests.items() if d == digests[target]])
    faults = Faults(rate=0.10, seed=7, stall_seconds=2.5)
    with Front(registry.host, paginate=True, faults=faults) as front:
        completed = subprocess.run(
            [sys.executable, "-c", _RUNNER, f"{front.host}/load/repo:{target}"],
            capture_output=True,
            text=True,
            timeout=1200,
            check=False,
        )
        injected = sum(front.fault_counts.values())
    assert completed.returncode == 0, completed.stderr[-2000:]
    result = json.loads(completed.stdout)
    assert result["complete"] is True
    assert result["total"] == result["scanned"] == TAGS
    assert result["tags"] == expected
    assert injected > 1000
    assert result["maxrss_kb"] < RSS_LIMIT_KB
