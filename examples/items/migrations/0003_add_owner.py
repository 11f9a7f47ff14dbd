"""Give every item an owner (who created it), and a description where it has none.

A backfill: every item is read by a parallel scan, `fill` decides, and the write is
conditional on the item's `version` (incremented, so the application's optimistic locking
notices it), so an application writing meanwhile loses nothing.
"""


def up(m):
    def fill(item):
        if "owner" in item and "description" in item:
            return None  # done already: a resumed run passes over it
        return {
            **item,
            "owner": item.get("owner", item.get("createdBy", "app")),
            "description": item.get("description", ""),
        }

    counts = m.backfill("items", fill, version="version")
    m.log(f"{counts.get('changed', 0)} item(s) given an owner")
