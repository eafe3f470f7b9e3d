"""`insights pagerduty simulate` and `insights pagerduty snapshot` (also `insights collect`). Registered on the
`insights` group by `insights.cli`."""

from __future__ import annotations

from pathlib import Path

import click

from insights.cli_common import load_config_for as _config
from insights.cli_params import FiniteRange
from insights.errors import InsightsError


@click.group()
def pagerduty() -> None:
    """PagerDuty: snapshot the account, or serve a local simulator."""


@pagerduty.command()
@click.option("--data", "data_file", type=click.Path(exists=True, dir_okay=False),
              help="Snapshot file to serve (default: the bundled demo data).")
@click.option("--as-captured", is_flag=True, help="Serve the snapshot's times as captured, not moved to now.")
@click.option("--port", default=0, show_default=True, type=click.IntRange(0, 65535),
              help="Port on 127.0.0.1 (0: any free port).")
@click.option("--latency-ms", default=0, show_default=True, type=click.IntRange(0, 600_000),
              help="Delay added to every response.")
@click.option("--rate-limit", default=960, show_default=True, type=click.IntRange(1, 10_000_000),
              help="Requests per minute before 429.")
@click.option("--fail-rate", default=0.0, show_default=True, type=FiniteRange(0, 1),
              help="Share of requests answered with 503.")
@click.option("--token", default="simulator-token", show_default=True, help="The API key it accepts.")
@click.option("--generate", "generate_services", type=int, help="Serve a generated account of N services instead.")
@click.option("--entities", type=int, help="With --generate: catalog entities to write (default 5 per service).")
@click.option("--catalog-out", default="generated-catalog", show_default=True, type=click.Path(file_okay=False),
              help="With --generate: where the matching catalog is written.")
def simulate(data_file, as_captured, port, latency_ms, rate_limit, fail_rate, token, generate_services, entities,
             catalog_out) -> None:
    """Serve the PagerDuty REST API v2 on 127.0.0.1 from a snapshot, until interrupted.

    On-call shifts and incidents are moved so that the snapshot's capture time is now, as `insights demo` does.

    \b
    Example:  insights pagerduty simulate --port 8080 --latency-ms 20
              insights pagerduty simulate --generate 2000 --catalog-out bench-catalog/
    """
    import signal
    import threading
    from datetime import datetime, timezone

    from insights.pagerduty.simulator import Simulator, SimulatorSettings
    from insights.pagerduty.state import load_snapshot, shift_times
    from insights.resources import demo_data

    moved_from = None
    if generate_services:
        from insights.pagerduty.generate import generate, write_catalog

        generated = generate(generate_services, entities)
        state, catalog = generated.state, catalog_out
        write_catalog(generated.catalog, Path(catalog_out))
        click.echo(f"wrote {len(generated.catalog)} descriptor files under {catalog_out}", err=True)
    else:
        state = load_snapshot(Path(data_file) if data_file else demo_data() / "pagerduty.json")
        catalog = "YOUR_CATALOG" if data_file else str(demo_data() / "catalog")
        if not as_captured:
            moved_from, state = state.collected_at, shift_times(state, datetime.now(timezone.utc))
    stop = threading.Event()
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_: stop.set())
    settings = SimulatorSettings(token=token, latency_ms=latency_ms, rate_limit=rate_limit, fail_rate=fail_rate)
    try:
        simulator = Simulator(state, settings, port=port)
    except OSError as error:
        raise InsightsError(f"cannot serve on 127.0.0.1:{port}: {error.strerror}; choose another --port") from None
    with simulator:
        click.echo(simulator.banner(catalog, moved_from), err=True)
        stop.wait()


@pagerduty.command()
@click.option("-o", "--output", "--out", "output", required=True, type=click.Path(dir_okay=False),
              help="Snapshot file to write.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="scorecards.yaml to use.")
@click.option("--pagerduty-url", help="PagerDuty API base URL.")
def snapshot(output, config_path, pagerduty_url) -> None:
    """Collect the PagerDuty account once and write it to a snapshot file (credential as for `run`).

    Runs once per account within its rate limit; the snapshot then serves any number of runs and
    finalize (--pagerduty-snapshot). `insights collect` and `insights pagerduty snapshot` are one command.

    \b
    Example:  insights collect --out pagerduty.json
              insights pagerduty snapshot -o pagerduty.json
    """
    from insights.pagerduty.state import save_snapshot
    from insights.pipeline import RunOptions, credential_for, pagerduty_state

    config = _config(config_path)
    credential = credential_for(config)
    if not credential and not config.pagerduty.accounts:  # several accounts name their own credentials
        raise click.UsageError("set PAGERDUTY_TOKEN to a read-only REST API key, or PD_CLIENT_ID and "
                               "PD_CLIENT_SECRET for an OAuth app")
    state = pagerduty_state(RunOptions(config=config, pagerduty_url=pagerduty_url, credential=credential))
    save_snapshot(state, Path(output))
    services = sum(len(s.services) for s in getattr(state, "accounts", {"": state}).values())
    click.echo(f"{output}: {services} services, {sum(state.requests.values())} requests")
