"""How often the imports and analyses page asks the area's jobs API (layers/static/data/
polling.js), read with Node: closely while a job is under way, seldom on an idle area, and for
an hour at most."""

import json
from pathlib import Path

from tests.node_script import module_output

POLLING = Path(__file__).resolve().parents[2] / "layers" / "static" / "data" / "polling.js"
HOUR_MS = 60 * 60 * 1000


def rounds(under_way: bool) -> list[int]:
    """The waits of a page left open for an hour on an area with a job under way all along, or
    none (each round's wait doubles the last, from the 2 s the page starts with)."""
    body = f"""
        const waits = [];
        let wait = POLL_MS, elapsed = 0;
        while (wait !== null) {{
          waits.push(wait);
          elapsed += wait;
          wait = nextWait(wait, {json.dumps(under_way)}, elapsed);
        }}
        process.stdout.write(JSON.stringify(waits));
    """
    return json.loads(module_output(POLLING, "POLL_MS, nextWait", body))


def test_a_job_under_way_is_followed_every_2_s_for_an_hour():
    waits = rounds(under_way=True)
    assert set(waits) == {2000}
    assert len(waits) == HOUR_MS // 2000


def test_an_idle_page_asks_seldom_yet_sees_a_job_started_elsewhere_within_10_s():
    waits = rounds(under_way=False)
    assert waits[:5] == [2000, 4000, 8000, 10000, 10000]
    assert max(waits) == 10000
    assert len(waits) < 400  # it was 1,800
    assert sum(waits) - waits[-1] < HOUR_MS  # and it stops after the hour


def test_a_job_under_way_again_brings_the_short_wait_back():
    waits = "[nextWait(10000, true, 60000), nextWait(2000, false, 60000)]"
    body = f"process.stdout.write(JSON.stringify({waits}));"
    assert json.loads(module_output(POLLING, "nextWait", body)) == [2000, 4000]
