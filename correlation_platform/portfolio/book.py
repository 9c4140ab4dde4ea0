"""The book: shares and cash held at each close, orders from it, fills into it.

A day of the operations loop (DESIGN section 8): at the close of day t the book is marked
to t's prices, the optimiser moves from its weights to the target, :func:`book_orders`
turns the move into whole lots, and the orders are filled at the next close, by the
execution system (a fills file) or by :func:`paper_fills`. :func:`apply_fills` books them:
shares change by the filled quantity, cash by the notional and the cost, so
``NAV = cash + shares x price`` holds at every close by construction.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from correlation_platform.portfolio.orders import ORDER_COLUMNS

#: Row label of the cash line in a book frame (no asset may carry this name).
CASH = "CASH"
BOOK_COLUMNS = ["shares", "price", "value", "weight"]
FILL_COLUMNS = ["order_id", "asset", "side", "quantity", "price", "notional", "cost"]


@dataclass(frozen=True)
class Book:
    """Holdings at one close.

    Attributes
    ----------
    date : pd.Timestamp
        The close the book describes.
    shares : pd.Series
        Shares held per asset (index = asset; zero for assets not held).
    cash : float
        Cash, after every fill and cost booked so far (negative = overdrawn).
    """

    date: pd.Timestamp
    shares: pd.Series
    cash: float

    def __post_init__(self) -> None:
        """Refuse an asset named like the cash line."""
        if CASH in self.shares.index:
            raise ValueError(f"no asset may be called {CASH!r}: it labels the cash line")
        if not np.isfinite(self.cash) or not np.isfinite(self.shares.to_numpy(float)).all():
            raise ValueError("book shares and cash must be finite")

    def values(self, prices: pd.Series) -> pd.Series:
        """Market value of each holding at ``prices`` (raises if a held asset has none).

        Parameters
        ----------
        prices : pandas.Series
            Last price per asset.

        Returns
        -------
        pandas.Series
            Value per asset.
        """
        px = prices.reindex(self.shares.index).astype(float)
        held = self.shares != 0
        bad = px[held & ~(np.isfinite(px) & (px > 0))]
        if len(bad):
            raise ValueError(f"no valid price on {self.date.date()} for held {list(bad.index)}")
        return (self.shares * px.fillna(0.0)).astype(float)

    def nav(self, prices: pd.Series) -> float:
        """Net asset value: cash plus holdings at ``prices``.

        Parameters
        ----------
        prices : pandas.Series
            Last price per asset.

        Returns
        -------
        float
            The NAV.
        """
        return float(self.cash + self.values(prices).sum())

    def weights(self, prices: pd.Series) -> pd.Series | None:
        """Holdings as shares of NAV.

        Parameters
        ----------
        prices : pandas.Series
            Last price per asset.

        Returns
        -------
        pandas.Series or None
            Weight per asset; None for an all-cash book (a portfolio built from cash).
        """
        values = self.values(prices)
        if not (values != 0).any():
            return None
        return values / self.nav(prices)

    def to_frame(self, prices: pd.Series) -> pd.DataFrame:
        """One row per asset plus the ``CASH`` row: shares, price, value, weight of NAV.

        Parameters
        ----------
        prices : pandas.Series
            Last price per asset.

        Returns
        -------
        pandas.DataFrame
            The book as a table.
        """
        values = self.values(prices)
        nav = self.nav(prices)
        frame = pd.DataFrame(
            {
                "shares": self.shares.astype(float),
                "price": prices.reindex(self.shares.index).astype(float),
                "value": values,
            }
        )
        frame.loc[CASH] = [self.cash, 1.0, self.cash]
        frame["weight"] = frame["value"] / nav
        frame.index.name = "asset"
        return frame[BOOK_COLUMNS]

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, date: pd.Timestamp) -> Book:
        """Inverse of :meth:`to_frame`."""
        if CASH not in frame.index:
            raise ValueError(f"a book frame needs a {CASH!r} row")
        shares = frame["shares"].drop(CASH).astype(float)
        shares.index.name = "asset"
        return cls(pd.Timestamp(date), shares, float(frame.loc[CASH, "shares"]))


def starting_book(
    assets: list[str],
    *,
    date: pd.Timestamp,
    cash: float,
    shares: pd.Series | None = None,
) -> Book:
    """The configured first book: ``cash`` and optionally ``shares`` already held.

    Parameters
    ----------
    assets : list of str
        The universe; every asset gets a line (zero shares if not held).
    date : pd.Timestamp
        The close the book starts at.
    cash : float
        Starting cash (>= 0).
    shares : pd.Series, optional
        Shares held per asset (e.g. from :func:`read_shares_csv`); assets outside the
        universe are refused.

    Returns
    -------
    Book
    """
    if not np.isfinite(cash) or cash < 0:
        raise ValueError(f"starting cash must be finite and >= 0, got {cash}")
    held = pd.Series(0.0, index=pd.Index(assets, name="asset"))
    if shares is not None:
        extra = sorted(set(shares.index) - set(assets))
        if extra:
            raise ValueError(f"starting shares name assets outside the universe: {extra}")
        held.loc[shares.index] = shares.astype(float).to_numpy()
    return Book(date=pd.Timestamp(date), shares=held, cash=float(cash))


def read_shares_csv(path: str | Path) -> pd.Series:
    """Starting holdings from a CSV with columns ``asset, shares``.

    Parameters
    ----------
    path : str or Path
        The CSV file.

    Returns
    -------
    pandas.Series
        Shares per asset.
    """
    frame = pd.read_csv(path)
    if not {"asset", "shares"} <= set(frame.columns):
        raise ValueError(f"{path}: expected columns asset, shares; got {list(frame.columns)}")
    if frame["asset"].duplicated().any():
        raise ValueError(
            f"{path}: duplicate assets {sorted(frame['asset'][frame['asset'].duplicated()])}"
        )
    shares = pd.to_numeric(frame["shares"], errors="coerce")
    if shares.isna().any() or not np.isfinite(shares).all():
        raise ValueError(f"{path}: shares must be finite numbers")
    return pd.Series(shares.to_numpy(float), index=pd.Index(frame["asset"], name="asset"))


def book_orders(
    book: Book,
    target_weights: pd.Series,
    prices: pd.Series,
    *,
    lot_size: int = 1,
    min_trade_notional: float = 0.0,
    cost_bps: float = 0.0,
) -> pd.DataFrame:
    """Orders in whole lots from the book to ``target_weights`` at today's ``prices``.

    The target is sized on NAV less the estimated cost of the trades, so the fills can pay
    their costs; quantities are truncated to whole lots towards zero (an order never
    overshoots its target); trades under ``min_trade_notional`` are dropped. Order ids are
    ``<date>-<asset>-<side>``: re-running a day gives the same ids.

    Parameters
    ----------
    book : Book
        Holdings at today's close.
    target_weights : pd.Series
        Target share of NAV per asset (sums to 1).
    prices : pd.Series
        Today's closes (the orders' reference prices).
    lot_size : int
        Shares per lot (>= 1).
    min_trade_notional : float
        Smallest order kept.
    cost_bps : float
        Cost per unit of notional traded, in basis points.

    Returns
    -------
    DataFrame
        ``order_id`` then :data:`~correlation_platform.portfolio.orders.ORDER_COLUMNS`,
        largest notional first.
    """
    if int(lot_size) != lot_size or lot_size < 1:
        raise ValueError(f"lot_size must be a whole number >= 1, got {lot_size}")
    if min_trade_notional < 0 or cost_bps < 0:
        raise ValueError("min_trade_notional and cost_bps must be >= 0")
    extra = sorted(set(book.shares.index[book.shares != 0]) - set(target_weights.index))
    if extra:
        raise ValueError(f"the book holds assets outside the target universe: {extra}")
    assets = list(target_weights.index)
    px = prices.reindex(assets).astype(float)
    bad = px[~(np.isfinite(px) & (px > 0))]
    if len(bad):
        raise ValueError(f"no valid price for {list(bad.index)}: orders cannot be sized")
    held = book.shares.reindex(assets).fillna(0.0)
    nav = book.nav(prices)
    if nav <= 0:
        raise ValueError(f"book NAV on {book.date.date()} is {nav:.2f}: nothing to invest")
    trade_value = (target_weights * nav - held * px).abs().sum()
    investable = nav - trade_value * cost_bps / 1e4
    # Round away float noise (0.6 - 0.7 = -0.0999...) before truncating to whole lots.
    delta = np.round((target_weights * investable) / px - held, 9)
    qty = np.trunc(delta / lot_size) * lot_size
    notional = (qty * px).abs()
    frame = pd.DataFrame(
        {
            "asset": assets,
            "side": np.where(qty > 0, "BUY", "SELL"),
            "quantity": qty.abs().astype(np.int64).to_numpy(),
            "price": px.to_numpy(),
            "notional": notional.to_numpy(),
            "weight_change": (target_weights - held * px / nav).to_numpy(),
            "estimated_cost": notional.to_numpy() * cost_bps / 1e4,
        }
    )
    frame.insert(
        0,
        "order_id",
        [f"{book.date:%Y%m%d}-{a}-{s}" for a, s in zip(assets, frame["side"], strict=True)],
    )
    keep = (frame["quantity"] > 0) & (frame["notional"] >= min_trade_notional)
    return (
        frame.loc[keep, ["order_id", *ORDER_COLUMNS]]
        .sort_values(["notional", "asset"], ascending=[False, True])
        .reset_index(drop=True)
    )


def paper_fills(orders: pd.DataFrame, prices: pd.Series, *, cost_bps: float) -> pd.DataFrame:
    """Fill every order in full at ``prices`` (the next close), paying ``cost_bps``.

    Parameters
    ----------
    orders : DataFrame
        From :func:`book_orders`.
    prices : pd.Series
        The fill day's closes.
    cost_bps : float
        Cost per unit of notional, in basis points.

    Returns
    -------
    DataFrame
        :data:`FILL_COLUMNS`, one row per order.
    """
    if orders.empty:
        return pd.DataFrame(columns=FILL_COLUMNS)
    px = prices.reindex(orders["asset"]).to_numpy(dtype=float)
    if not (np.isfinite(px) & (px > 0)).all():
        missing = list(orders["asset"][~(np.isfinite(px) & (px > 0))])
        raise ValueError(f"no valid fill price for {missing}")
    notional = orders["quantity"].to_numpy(float) * px
    return pd.DataFrame(
        {
            "order_id": orders["order_id"].to_numpy(),
            "asset": orders["asset"].to_numpy(),
            "side": orders["side"].to_numpy(),
            "quantity": orders["quantity"].to_numpy(np.int64),
            "price": px,
            "notional": notional,
            "cost": notional * cost_bps / 1e4,
        }
    )[FILL_COLUMNS]


def read_fills(path: str | Path, orders: pd.DataFrame) -> pd.DataFrame:
    """Fills reported by an execution system (CSV with :data:`FILL_COLUMNS` but ``notional``).

    Every fill must name an order of ``orders`` with the same asset and side and a quantity
    no larger than ordered (partial fills are fine; unknown or over-filled orders are
    refused so a wrong file cannot move the book).

    Parameters
    ----------
    path : str or Path
        The fills file.
    orders : pandas.DataFrame
        The orders they answer (``order_id``, ``asset``, ``side``, ``quantity``).

    Returns
    -------
    pandas.DataFrame
        One row per fill with its notional.
    """
    frame = pd.read_csv(path)
    needed = ["order_id", "asset", "side", "quantity", "price", "cost"]
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise ValueError(f"{path}: missing columns {missing}; expected {needed}")
    known = orders.set_index("order_id")
    for row in frame.itertuples():
        if row.order_id not in known.index:
            raise ValueError(f"{path}: fill {row.order_id!r} matches no order")
        order = known.loc[row.order_id]
        if (row.asset, row.side) != (order["asset"], order["side"]):
            raise ValueError(f"{path}: fill {row.order_id!r} does not match its order's asset/side")
        if not 0 <= row.quantity <= order["quantity"]:
            raise ValueError(
                f"{path}: fill {row.order_id!r} quantity {row.quantity} outside 0..{order['quantity']}"
            )
        if not (
            np.isfinite(row.price) and row.price > 0 and np.isfinite(row.cost) and row.cost >= 0
        ):
            raise ValueError(f"{path}: fill {row.order_id!r} needs a positive price and cost >= 0")
    frame["notional"] = frame["quantity"] * frame["price"]
    return frame[FILL_COLUMNS]


def apply_fills(book: Book, fills: pd.DataFrame, *, date: pd.Timestamp) -> Book:
    """The book after ``fills``: shares move by the quantity, cash by notional and cost.

    Parameters
    ----------
    book : Book
        The previous close's book.
    fills : DataFrame
        :data:`FILL_COLUMNS` (from :func:`paper_fills` or :func:`read_fills`).
    date : pd.Timestamp
        The close the new book describes.

    Returns
    -------
    Book
    """
    shares = book.shares.copy()
    cash = book.cash
    for row in fills.itertuples():
        if row.asset not in shares.index:
            raise ValueError(f"fill {row.order_id!r} is for {row.asset!r}, outside the book")
        sign = 1.0 if row.side == "BUY" else -1.0
        shares[row.asset] += sign * row.quantity
        cash -= sign * row.quantity * row.price + row.cost
    return Book(date=pd.Timestamp(date), shares=shares, cash=float(cash))


def reconcile(
    book: Book,
    prices: pd.Series,
    *,
    target_weights: pd.Series | None = None,
) -> pd.DataFrame:
    """Held weights beside the last target and the drift between them.

    Parameters
    ----------
    book : Book
        Today's book.
    prices : pd.Series
        Today's closes.
    target_weights : pd.Series, optional
        The target of the last rebalance (None before the first).

    Returns
    -------
    DataFrame
        Per asset: ``held``, ``target`` and ``drift`` (held - target), plus the cash line.
    """
    frame = book.to_frame(prices)
    out = pd.DataFrame({"held": frame["weight"]})
    target = (
        target_weights.reindex(out.index).fillna(0.0)
        if target_weights is not None
        else pd.Series(np.nan, index=out.index)
    )
    out["target"] = target
    out["drift"] = out["held"] - out["target"]
    return out
