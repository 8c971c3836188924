"""citylogistics: plan urban and rural delivery networks for Zhejiang's cities,
counties, towns and villages.

The package import is light: optimisation, mapping and geometry libraries are
imported only by the modules that need them.
"""

from __future__ import annotations

from citylogistics.errors import CityLogisticsError, InfeasibleError, InputError, SolverError

__version__ = "0.1.0"

__all__ = ["CityLogisticsError", "InfeasibleError", "InputError", "SolverError", "__version__"]
