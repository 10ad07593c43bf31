"""Fetch credentials with Alibaba Cloud's official Python SDK (alibabacloud_credentials) from a
local IMDS simulator, for scripts/bench.sh.

Usage: sdk_fetch.py HOST:PORT RUNS
Prints microseconds per fetch (token PUT + credentials GET, no cache) after one warm-up fetch;
with RUNS = 0 it fetches once and prints nothing (for whole-process timing).
"""
import sys
import time

from alibabacloud_credentials.provider.ecs_ram_role import EcsRamRoleCredentialsProvider


def main():
    endpoint, runs = sys.argv[1], int(sys.argv[2])
    provider = EcsRamRoleCredentialsProvider(
        role_name="aliyun-imds-simulated-role",
        disable_imds_v1=True,
        async_update_enabled=False,
    )
    # The SDK hard-codes 100.100.100.200; point it at the simulator.
    provider._EcsRamRoleCredentialsProvider__metadata_service_host = endpoint
    fetch = provider._refresh_credentials  # token + credentials, bypassing the cache
    credentials = fetch().value()
    assert credentials.get_access_key_id().startswith("STS."), credentials
    if runs == 0:
        return
    start = time.perf_counter()
    for _ in range(runs):
        fetch()
    print(f"{(time.perf_counter() - start) / runs * 1e6:.1f}")


main()
