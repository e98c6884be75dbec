"""`make run`'s launcher: everything starts, the worker works, Ctrl-C stops it all cleanly."""

import socket

from tests.facesite.launching import job_done_by_the_worker, running_site


def test_run_starts_redis_worker_and_web_then_stops_on_ctrl_c(tmp_path):
    with running_site(tmp_path) as site:
        assert site.redis.config_get("maxmemory-policy")["maxmemory-policy"] == "noeviction"
        assert job_done_by_the_worker(site) == 4.0
        exit_code = site.stop()
    output = site.output()
    assert exit_code == 0, output
    assert "Log in as 'admin'" in output
    assert "Stopped." in output
    assert not (site.var_dir / "redis.sock").exists(), "Redis did not shut down"
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", site.port)) != 0, "the web server is still listening"
