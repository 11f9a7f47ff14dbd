"""How declared and live values read in a plan, a report or a design document (pure)."""

from __future__ import annotations

from dynaform.core.model import Billing, Gsi, KeyAttr, Lsi, Projection, Sse


def key_text(key: KeyAttr | None) -> str:
    return "-" if key is None else f"{key.name} ({key.type})"


def billing_text(billing: Billing) -> str:
    if billing.mode == "PROVISIONED" and billing.throughput:
        return f"provisioned {billing.throughput.read}/{billing.throughput.write}"
    limits = billing.on_demand
    if limits and (limits.max_read or limits.max_write):
        return f"on demand (max {limits.max_read or '-'}/{limits.max_write or '-'})"
    return "on demand"


def projection_text(projection: Projection) -> str:
    if projection.type == "INCLUDE":
        return "include " + ",".join(projection.non_key)
    return projection.type.lower()


def gsi_text(gsi: Gsi) -> str:
    keys = key_text(gsi.partition_key) + (f" / {key_text(gsi.sort_key)}" if gsi.sort_key else "")
    capacity = f", {gsi.throughput.read}/{gsi.throughput.write}" if gsi.throughput else ""
    return f"{keys}, {projection_text(gsi.projection)}{capacity}"


def lsi_text(lsi: Lsi) -> str:
    return f"{key_text(lsi.sort_key)}, {projection_text(lsi.projection)}"


def sse_text(sse: Sse) -> str:
    return f"kms {sse.kms_key}" if sse.kind == "kms" else sse.kind.replace("_", " ")


def sse_equivalent(desired: Sse, live: Sse) -> bool:
    """DescribeTable reports a KMS key by ARN only: an AWS-managed key and a customer key look
    alike, and an alias cannot be resolved without KMS. Compare what can be compared."""
    if desired.kind == "aws_owned" or live.kind == "aws_owned":
        return desired.kind == live.kind
    if desired.kind == "aws_managed" or live.kind == "aws_managed":
        return True
    wanted, actual = desired.kms_key or "", live.kms_key or ""
    if wanted.startswith("arn:") and actual.startswith("arn:"):
        return wanted == actual
    if wanted.startswith("alias/"):
        return True
    return actual.endswith(wanted)


def on_off(value: object) -> str:
    if value is None or value is False:
        return "off"
    return "on" if value is True else str(value).lower()
