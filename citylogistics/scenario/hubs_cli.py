"""``citylogistics hubs candidates``: propose candidate land parcels for a city's hubs (T0).

Writes the candidates CSV a scenario names in ``[hubs] candidates``
(:func:`citylogistics.location.hubs.write_candidates`): the city's current hub
(``existing``) and junctions (three or more neighbours) of the packaged
OpenStreetMap major roads within ``--max-dist-m`` of the city's villages,
ranked by the population nearby, labelled ``generated``, with the land cost
of :class:`citylogistics.location.hubs.LandCostRule` (see
:func:`citylogistics.location.hubs.candidates_for_city`). Edit the file
(areas, capacities, costs) before planning with it.
"""

from __future__ import annotations

import argparse


def _positive(kind, lo: float, hi: float):
    def parse(text: str):
        try:
            v = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a{'n integer' if kind is int else ' number'}") from None
        if not (lo <= v <= hi):
            raise argparse.ArgumentTypeError(f"{text} is outside {lo:g} … {hi:g}")
        return v

    return parse


def add_hubs_parser(subparsers) -> None:
    """Register ``hubs candidates`` on the CLI's subparsers."""
    hubs = subparsers.add_parser("hubs", help="city hubs (T0) on scarce land: candidate parcels")
    hsub = hubs.add_subparsers(dest="hubs_command", required=True, parser_class=type(hubs))
    hc = hsub.add_parser("candidates", help="propose candidate hub parcels for a city (CSV for [hubs] candidates)")
    hc.add_argument("--city", required=True, help="city name, Chinese name or adcode")
    hc.add_argument("--out", required=True, help="candidates CSV to write")
    hc.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    hc.add_argument(
        "--max-dist-m",
        type=_positive(float, 1.0, 100_000.0),
        default=2000.0,
        help="a junction within this distance of a village (m, default 2000)",
    )
    hc.add_argument(
        "--n-max",
        type=_positive(int, 1, 1000),
        default=12,
        help="at most this many candidates, the current hub included (default 12)",
    )
    hc.set_defaults(func=cmd_hubs_candidates)


def cmd_hubs_candidates(args) -> int:
    """Write the proposed candidates of ``args.city`` to ``args.out`` atomically; print a summary line."""
    from citylogistics.fileio import atomic_write, check_output_file
    from citylogistics.location.hubs import candidates_for_city, read_candidates, write_candidates
    from citylogistics.regions import CITY_CODES, resolve_city

    out = check_output_file(args.out, overwrite=args.overwrite)
    code = resolve_city(args.city)
    cands = candidates_for_city(code, max_dist_m=float(args.max_dist_m), n_max=int(args.n_max))

    def write(tmp):
        write_candidates(tmp, cands)
        read_candidates(tmp)  # publish only a file a scenario's [hubs] accepts

    atomic_write(out, write)
    n_gen = sum(1 for c in cands if not c.existing)
    print(
        f"{out}: {len(cands)} candidates for {CITY_CODES[code]} ({len(cands) - n_gen} existing, {n_gen} generated "
        f"at major-road junctions within {args.max_dist_m:g} m of villages)"
    )
    return 0
