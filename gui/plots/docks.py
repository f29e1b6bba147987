"""Shared plot pieces: readable log-axis ticks and the plain plot the probe and runs panel use."""

from __future__ import annotations

import math

import pyqtgraph as pg


class LogFriendlyAxis(pg.AxisItem):
    """Log-scale ticks that stay readable on short plots: decades, plus 2x and 5x labels
    only where a decade has room for them (pyqtgraph labels 1x..9x and they overlap)."""

    def logTickValues(self, minVal, maxVal, size, stdTicks):
        if not (math.isfinite(minVal) and math.isfinite(maxVal)) or maxVal <= minVal:
            return []
        low, high = math.floor(minVal), math.ceil(maxVal)
        stride = max(1, (high - low) // 8)  # a view spanning 300 decades gets ~8 labels
        ticks = [(float(stride), [float(v) for v in range(low, high + 1, stride)
                                  if minVal <= v <= maxVal])]
        if size / (maxVal - minVal) > 60:  # pixels per decade: room for 2x and 5x
            steps = [v + math.log10(m) for v in range(low, high) for m in (2, 5)]
            ticks.append((None, [v for v in steps if minVal < v < maxVal]))
        if sum(len(level) for _spacing, level in ticks) < 2:
            # a view narrower than these marks (a constant curve): evenly spaced labels, so
            # the axis never flips between labelled and bare (which re-lays it out forever)
            return [(spacing, values) for spacing, values in stdTicks if len(values)][:2]
        return ticks


def make_plot(left: str, bottom: str = "step") -> pg.PlotWidget:
    """A plot with axis labels and a legend (shared look of every dock).

    No grid: pyqtgraph draws grid lines with the axes across the whole view, so every curve
    update would repaint axes and text too (3x the painting time, measured).
    """
    plot = pg.PlotWidget(axisItems={"left": LogFriendlyAxis("left")})
    plot.setLabel("left", left)
    plot.setLabel("bottom", bottom)
    plot.addLegend(offset=(-10, 10), labelTextSize="8pt")
    plot.setMinimumSize(220, 140)
    return plot
