"""Verify the items table as seed 003's 001_create_items_table.js did after creating it.

The table itself is `dynaform apply`'s job (tables as code); this migration runs only when
`dynaform plan` shows no changes, then checks what the script checked: the table and its
status-index are ACTIVE, TTL is on `ttl`, billing is on-demand.
"""

requires = "apply"


def up(m):
    name = m.table("items")
    table = m.wire.call("DescribeTable", {"TableName": name})["Table"]
    indexes = {i["IndexName"]: i["IndexStatus"] for i in table.get("GlobalSecondaryIndexes", [])}
    billing = table.get("BillingModeSummary", {}).get("BillingMode", "PAY_PER_REQUEST")
    ttl = m.wire.call("DescribeTimeToLive", {"TableName": name})["TimeToLiveDescription"]
    problems = []
    if table["TableStatus"] != "ACTIVE":
        problems.append(f"status {table['TableStatus']}")
    if indexes.get("status-index") != "ACTIVE":
        problems.append(f"status-index {indexes.get('status-index', 'missing')}")
    if billing != "PAY_PER_REQUEST":
        problems.append(f"billing {billing}")
    if ttl.get("AttributeName") not in (None, "ttl"):
        problems.append(f"TTL on {ttl.get('AttributeName')}")
    if problems:
        raise RuntimeError(f"{name} is not as declared: {', '.join(problems)}")
    m.log(f"{name}: ACTIVE, {table.get('ItemCount', 0)} item(s), billing {billing}, GSIs {indexes}")
