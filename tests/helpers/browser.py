"""Driving the explorer's page in Playwright (serve's page and the notebook widget's are one)."""

from __future__ import annotations


def drag_right(page, slider, start: float) -> None:
    """Drag ``slider`` with the mouse from the value ``start`` rightwards, in five moves ending
    about three quarters along (a user's drag: ``input`` events on the way, not one jump)."""
    box = slider.bounding_box()
    lo, hi = float(slider.get_attribute("min")), float(slider.get_attribute("max"))
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * (start - lo) / (hi - lo), y)
    page.mouse.down()
    for k in range(1, 6):
        page.mouse.move(box["x"] + box["width"] * (0.5 + 0.05 * k), y)
    page.mouse.up()
