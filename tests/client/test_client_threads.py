"""One client shared by many threads from a cold start (fresh process, nothing decoded yet) sees no error."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import httpx

from vertex_tuning.server.lifecycle import ManualClock

PARENT = "projects/p/locations/us-central1"
_CHILD = textwrap.dedent(
    """
    import sys, threading, traceback
    from vertex_tuning import TunedModelRef, TuningJobsClient

    base_url, names = sys.argv[1], sys.argv[2:]
    client = TuningJobsClient("p", "us-central1", base_url=base_url)
    start = threading.Barrier(16)
    errors = []

    def work(i):
        try:
            start.wait()
            if i % 4 == 0:
                list(client.list_tuning_jobs())
            elif i % 4 == 1:
                client.wait(names[i % len(names)], timeout=5)
            elif i % 4 == 2:
                op = client.rebase_tuned_model(tuned_model_ref=TunedModelRef(tuning_job=names[0]))
                op.refresh()  # the test's clock stands still: the operation stays running
                list(client.operations.list_operations(name=names[0]))
            else:
                client.get_tuning_job(name=names[i % len(names)])
        except BaseException:
            errors.append(traceback.format_exc())

    threads = [threading.Thread(target=work, args=(i,)) for i in range(16)]
    for t in threads: t.start()
    for t in threads: t.join()
    client.close()
    print("".join(errors) or "ok")
    """
)


def test_sixteen_threads_share_one_client_from_a_cold_start(reference_server: str, fast_clock: ManualClock) -> None:
    with httpx.Client(base_url=reference_server) as http:
        names = []
        for _ in range(4):
            response = http.post(f"/v1/{PARENT}/tuningJobs", json={
                "baseModel": "gemini-1.0-pro-002",
                "supervisedTuningSpec": {"trainingDatasetUri": "gs://b/t.jsonl"},
            })
            names.append(response.json()["name"])
    fast_clock.advance(1000)  # every job SUCCEEDED: the deepest responses (data stats, tuned model)
    for _ in range(3):  # three cold starts: the race, when present, showed up in most of them
        child = subprocess.run(
            [sys.executable, "-c", _CHILD, reference_server, *names], capture_output=True, text=True, timeout=60, check=False
        )
        assert child.returncode == 0, child.stderr
        assert child.stdout.strip() == "ok", child.stdout
