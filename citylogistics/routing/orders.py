"""Same-city orders: read an order list, build the routing problem, check a plan.

An **orders CSV** has one row per order (UTF-8, a BOM and CRLF line ends are
fine; the header names the columns, in any order):

============  ========  =====================================================
column        required  meaning
============  ========  =====================================================
``id``        yes       unique order id
``lon, lat``  yes       the order's point, WGS-84 degrees (``crs="gcj02"``:
                        GCJ-02 as read off Chinese web maps, converted with
                        :func:`citylogistics.geo.gcj02_to_wgs84`)
``demand``    no        parcels (default 1; 0 … 1,000,000)
``kind``      no        ``delivery`` (default: parcels leave the depot on the
                        vehicle) or ``pickup`` (collected and brought back)
``tw_start``  no        window start: ``HH:MM``, ``HH:MM:SS`` (hours 0–47:
                        ``24:00`` and later are the next day) or an ISO
                        datetime (``2022-06-07T13:00``); empty = open
``tw_end``    no        window end, same forms; empty = open
``service_s`` no        seconds spent at the order (default: the caller's
                        default service time; 0 … 7 days)
============  ========  =====================================================

A ``columns`` mapping reads a file from another system without editing it:
``{"id": "order_id", "lon": "lng"}`` takes the order id from the column
``order_id`` and the longitude from ``lng``.

**Times** are seconds from midnight of *the orders' day*: the earliest date
of any datetime in the file (clock times with no date count from that
midnight too; with no datetime at all the day is unnamed). A datetime on a
later date counts past 86,400 s. Service must *start* inside the window.

Every bad row raises :class:`~citylogistics.errors.InputError` naming the file,
the line (the header is line 1) and the field, e.g. ``orders.csv: line 7:
tw_end: the window ends (09:00) before it starts (10:00); swap or fix them``.

**Travel** (:class:`OrdersProblem`): with a road network each order snaps to
its nearest network node and a leg is *access + shortest path + access*
(access legs straight, from the point to its node); without one a leg is
the great-circle distance × ``circuity``. Each vehicle drives at its
``speed_kmh`` (an e-bike, a tricycle and a van in one fleet); on a network a
fleet without speeds uses the network's road speeds instead.

:func:`check_plan` re-derives every route's times, loads and distances from
the problem's matrices and the plan's stop order only, so a translation or
schedule bug in the engines cannot hide from it.

Modules: :mod:`~citylogistics.routing.orders_read` (reading and checking the
files) and :mod:`~citylogistics.routing.orders_problem` (the routing problem and
the plan check); their public names are importable from here.
"""

from __future__ import annotations

from citylogistics.routing.orders_problem import (
    OrdersProblem,
    OrderVehicle,
    PlanCheck,
    check_plan,
)
from citylogistics.routing.orders_read import (
    CRS_CHOICES,
    DEPOT_COLUMNS,
    KINDS,
    MAX_DEMAND,
    MAX_SERVICE_S,
    MAX_TIME_S,
    ORDER_COLUMNS,
    Depot,
    Order,
    OrderList,
    format_clock,
    parse_clock,
    parse_depot,
    parse_shift,
    read_depots,
    read_orders,
)

__all__ = [
    "CRS_CHOICES",
    "DEPOT_COLUMNS",
    "KINDS",
    "MAX_DEMAND",
    "MAX_SERVICE_S",
    "MAX_TIME_S",
    "ORDER_COLUMNS",
    "Depot",
    "Order",
    "OrderList",
    "OrderVehicle",
    "OrdersProblem",
    "PlanCheck",
    "check_plan",
    "format_clock",
    "parse_clock",
    "parse_depot",
    "parse_shift",
    "read_depots",
    "read_orders",
]
