"""Settings, read in one place: the data directory and the user's adreport.toml.

The data directory is `--data-dir`, else the variable ADREPORT_HOME, else
`~/.adreport`. It holds the warehouse file, rejects, rates and `adreport.toml`:

    client = "Acme Korea"          # shown on report covers
    margin = 0.35                   # share of revenue kept, used by ROI
    [kpis.cost_per_view]
    formula = "spend / video_views"
    unit = "money"                  # count | money | ratio | multiple | decimal
    good = "down"
    label_ko = "조회당 비용"
    [targets]
    roas = 4.0
    cpa = 25000
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from adreport.errors import ConfigurationError
from adreport.metrics.registry import RATIO, Metric, Registry

CONFIG_FILE = "adreport.toml"


def data_dir(option: str | Path | None = None) -> Path:
    if option:
        return Path(option).expanduser()
    home = os.environ.get("ADREPORT_HOME")
    if home:
        return Path(home).expanduser()
    return Path.home() / ".adreport"


@dataclass
class Settings:
    data_dir: Path
    client: str = ""
    margin: Decimal = Decimal(1)
    kpis: dict[str, Metric] = field(default_factory=dict)
    targets: dict[str, Decimal] = field(default_factory=dict)

    @property
    def warehouse_path(self) -> Path:
        return self.data_dir / "warehouse.duckdb"

    @property
    def rejects_dir(self) -> Path:
        return self.data_dir / "rejects"

    def registry(self) -> Registry:
        return Registry(margin=self.margin, custom=dict(self.kpis))


def load_settings(directory: Path) -> Settings:
    settings = Settings(directory)
    path = directory / CONFIG_FILE
    if not path.is_file():
        return settings
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"{path}: not valid TOML: {exc}") from exc
    settings.client = str(data.get("client", ""))
    settings.margin = _decimal(data.get("margin", 1), f"{path}: margin")
    settings.kpis = {
        name: _kpi(name, spec, path) for name, spec in data.get("kpis", {}).items()
    }
    settings.targets = {
        name: _decimal(value, f"{path}: [targets] {name}")
        for name, value in data.get("targets", {}).items()
    }
    settings.registry()  # checks the KPI formulas now, not halfway through a report
    return settings


def _kpi(name: str, spec: Any, path: Path) -> Metric:
    if not isinstance(spec, dict) or "formula" not in spec:
        raise ConfigurationError(f"{path}: [kpis.{name}] needs a formula")
    return Metric(
        name=name,
        label_en=str(spec.get("label_en", name.replace("_", " ").capitalize())),
        label_ko=str(spec.get("label_ko", spec.get("label_en", name))),
        unit=str(spec.get("unit", "decimal")),
        additivity=RATIO,
        good=str(spec.get("good", "up")),
        formula=str(spec["formula"]),
    )


def _decimal(value: Any, where: str) -> Decimal:
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise ConfigurationError(f"{where}: {value!r} is not a number") from None
