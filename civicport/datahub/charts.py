"""A simple server-side SVG bar chart of a table (no JavaScript, no inline styles).

The chart picks the first text column and, if there is one, the first numeric column:
the sum of the number per label (top 12), else the count of rows per label.
"""

from civicport.datahub import engine

WIDTH, BAR_HEIGHT, GAP, LABEL_WIDTH = 640, 22, 6, 220


def table_chart(version) -> dict | None:
    fields = version.schema.get("fields", [])
    label = next((f for f in fields if f["type"] == "string"), None)
    if label is None:
        return None
    value = next((f for f in fields if f["type"] in ("integer", "number")), None)
    if value is not None:
        rows = engine.column_sums(path=version.path, label_column=label["name"],
                                  value_column=value["name"], limit=12)
        title = f"{value.get('title', value['name'])} — {label.get('title', label['name'])}"
    else:
        rows = engine.column_values(path=version.path, column=label["name"], limit=12)
        title = label.get("title", label["name"])
    rows = [(str(k), float(v or 0)) for k, v in rows]
    if not rows:
        return None
    top = max(v for _k, v in rows) or 1
    plot = WIDTH - LABEL_WIDTH - 80
    bars = []
    for index, (name, amount) in enumerate(rows):
        y = index * (BAR_HEIGHT + GAP)
        bars.append({
            "label": name[:32], "value": _number(amount), "y": y,
            "text_y": y + BAR_HEIGHT * 0.7, "width": max(1, round(plot * amount / top)),
            "value_x": LABEL_WIDTH + max(1, round(plot * amount / top)) + 6,
        })
    return {"title": title, "bars": bars, "width": WIDTH, "label_width": LABEL_WIDTH,
            "label_x": LABEL_WIDTH - 6, "bar_height": BAR_HEIGHT,
            "height": len(rows) * (BAR_HEIGHT + GAP)}


def _number(value: float) -> str:
    if value.is_integer():
        return f"{int(value):,}".replace(",", ".")
    return f"{value:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")
