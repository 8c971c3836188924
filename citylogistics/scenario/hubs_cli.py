"""``citylogistics hubs candidates``: propose candidate land parcels for a city's hubs (T0).

Writes the candidates CSV a scenario names in ``[hubs] candidates``
(:func:`citylogistics.location.hubs.write_candidates`): the city's current hub
(``existing``) and junctions (three or more neighbours) of the packaged
OpenStreetMap major roads within ``--max-dist-m`` of the city's villages,
ranked by the population nearby, labelled ``generated``, with the land cost
of :class:`citylogistics.location.hubs.LandCostRule` (see
:func:`citylogistics.location.hubs.candidates_for_city`). Edit the file
(areas, capacities, costs) before planning with it.

The command's options are defined in :mod:`citylogistics.cli`, which imports this module
only when the command runs.
"""

from __future__ import annotations


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
