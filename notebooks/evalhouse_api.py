"""The few calls the notebooks make to the evalhouse API, with the standard library and pandas only.

The base URL comes from EVALHOUSE_URL (default http://127.0.0.1:3000). Arrow is used when pyarrow is
importable (faster, typed); otherwise the same tables are read from JSON and CSV, with the same columns.
"""

import io
import json
import math
import os
import urllib.error
import urllib.request

import pandas as pd

BASE_URL = os.environ.get("EVALHOUSE_URL", "http://127.0.0.1:3000").rstrip("/")
ARROW_STREAM = "application/vnd.apache.arrow.stream"

try:
    import pyarrow as pa  # optional: Debian has no python3-pyarrow

    HAVE_ARROW = True
except ImportError:
    pa = None
    HAVE_ARROW = False


class ApiError(RuntimeError):
    """A 4xx/5xx answer, with the API's {error, message} in the text."""


def _request(method, path, body=None, accept="application/json"):
    data = None if body is None else json.dumps(body).encode()
    # content-type application/json: the API refuses a write in a type any web page could send
    headers = {"accept": accept}
    if data is not None:
        headers["content-type"] = "application/json"
    req = urllib.request.Request(BASE_URL + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return r.read()
    except urllib.error.HTTPError as e:
        raise ApiError(f"{method} {path} → {e.code}: {e.read().decode(errors='replace')}") from None


def get(path):
    """GET a JSON answer."""
    return json.loads(_request("GET", path))


def post(path, body):
    """POST a JSON body, read the JSON answer."""
    return json.loads(_request("POST", path, body))


def _flatten_row(row):
    """One /analysis JSON row in the Arrow stream's columns: levels, measures, ci95_low/high, pass@k(_stderr)."""
    out = {"model": row["model"], **row["groups"]}
    for key, value in row.items():
        if key in ("model", "groups"):
            continue
        if key == "ci95":
            out["ci95_low"], out["ci95_high"] = value if value else (None, None)
        elif isinstance(value, dict):  # pass@k / maj@k estimates
            out[key] = value["value"]
            out[f"{key}_stderr"] = value["stderr"]
        else:
            out[key] = value
    return out


def analysis_frame(body):
    """POST /analysis as a DataFrame, one row per (model, group): Arrow with pyarrow, else JSON."""
    if HAVE_ARROW:
        with pa.ipc.open_stream(_request("POST", "/analysis", body, accept=ARROW_STREAM)) as reader:
            return reader.read_pandas()
    return pd.DataFrame([_flatten_row(r) for r in post("/analysis", body)["rows"]])


def results_frame(benchmark, **query):
    """Every stored result of a benchmark (one row per model × item × sample) from POST /exports, kind results.

    parquet with pyarrow, else csv (its first line is the provenance). Item ids, answers and metadata text
    stay strings: an answer "1.0" is not the answer "1", and "NA" is an answer, not a missing value.
    """
    q = {"benchmark": benchmark, **query}
    if HAVE_ARROW:
        raw = _request("POST", "/exports", {"kind": "results", "format": "parquet", "query": q})
        df = pd.read_parquet(io.BytesIO(raw))
    else:
        raw = _request("POST", "/exports", {"kind": "results", "format": "csv", "query": q})
        df = pd.read_csv(
            io.BytesIO(raw),
            skiprows=1,
            dtype={"item": str, "answer": str, "model": str, "run": str},
            keep_default_na=False,  # only an empty field is missing
            na_values=[""],
            low_memory=False,
        )
    df["item"] = df["item"].astype(str)
    return df


def assert_close(ours, api, what, tol=1e-9, relative=False):
    """Our number equals the API's within tol (absolute; relative=True for p-values far below 1e-9).
    Both missing (None/NaN) counts as equal."""
    missing = lambda v: v is None or (isinstance(v, float) and math.isnan(v))  # noqa: E731
    if missing(ours) and missing(api):
        return
    assert not missing(ours) and not missing(api), f"{what}: ours {ours!r}, API {api!r}"
    bound = tol * max(abs(float(ours)), abs(float(api))) if relative else tol
    assert abs(float(ours) - float(api)) <= bound, f"{what}: ours {ours!r}, API {api!r}"


def assert_frames_equal(ours, theirs, keys, columns, **kw):
    """Every row of `ours` has one in `theirs` with the same keys and the same values in `columns` (numbers
    within assert_close's tolerance, text exactly), and no row is on one side only. Returns the rows checked."""
    m = ours.merge(theirs, on=keys, how="outer", suffixes=("", "_api"), indicator=True)
    lonely = m[m["_merge"] != "both"]
    assert lonely.empty, f"rows on one side only:\n{lonely[[*keys, '_merge']]}"
    for c in columns:
        for key, a, b in zip(m[keys].itertuples(index=False), m[c], m[f"{c}_api"]):
            if isinstance(a, str) or isinstance(b, str):
                assert a == b, f"{c} at {tuple(key)}: ours {a!r}, API {b!r}"
            else:
                assert_close(a, b, f"{c} at {tuple(key)}", **kw)
    return len(m)


def wilson(p, n, z=1.959964):
    """The Wilson score interval of a proportion p on n trials (Wilson 1927), written out here."""
    if n <= 0:
        return (None, None)
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z / denom * math.sqrt(max(0.0, p * (1 - p) / n + z * z / (4 * n * n)))
    return (0.0 if p <= 0 else max(0.0, centre - half), 1.0 if p >= 1 else min(1.0, centre + half))
