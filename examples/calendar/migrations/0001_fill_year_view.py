"""Fill GSI1PK/GSI1SK (and GSI2PK/GSI2SK) for entries written before the indexes existed.

Entries carry `calendar_id`, `entry_id`, `start` (ISO 8601 UTC) and, when recurring,
`recurrence_id`; the indexes' keys follow the templates of entities.CalendarEntry:
GSI1PK = CALENDAR#<calendar>#<year>, GSI1SK = <start to the second>#<entry>,
GSI2PK = MASTER#<recurrence>, GSI2SK = <start to the second> (sparse: recurring entries only).
"""

from datetime import UTC, datetime

SECOND = "%Y-%m-%dT%H:%M:%SZ"


def up(m):
    def fill(item):
        if item.get("_type") != "entry" or "start" not in item:
            return None
        start = datetime.fromisoformat(item["start"].replace("Z", "+00:00")).astimezone(UTC)
        keys = {
            "GSI1PK": f"CALENDAR#{item['calendar_id']}#{start:%Y}",
            "GSI1SK": f"{start.strftime(SECOND)}#{item['entry_id']}",
        }
        if item.get("recurrence_id"):
            keys |= {"GSI2PK": f"MASTER#{item['recurrence_id']}", "GSI2SK": start.strftime(SECOND)}
        if all(item.get(name) == value for name, value in keys.items()):
            return None
        return {**item, **keys}

    m.backfill("main", fill, version="version")
