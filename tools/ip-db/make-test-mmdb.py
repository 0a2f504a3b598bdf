#!/usr/bin/env python3
"""Writes tests/fixtures/ip-test.mmdb: a tiny MaxMind DB (IPv4, 24-bit records) with the
fields the @ip-location-db MMDB packages carry (country_code, state1, city), for the
end-to-end tests of CHECKIN_IP_DB. No writer crate is well kept enough to depend on;
the format is small (https://maxmind.github.io/MaxMind-DB/) and this script is its
whole writer. Run from the repository root: python3 tools/ip-db/make-test-mmdb.py
"""
import ipaddress
import struct
import sys

# (network, fields): the ranges tests/api/network.rs uses, as DB-IP names them.
RANGES = [
    ("1.0.0.0/16", {"country_code": "CN", "state1": "Fujian", "city": "Longyan"}),
    ("1.1.0.0/16", {"country_code": "CN", "state1": "Beijing", "city": "Beijing"}),
    ("1.2.0.0/16", {"country_code": "CN", "state1": "Inner Mongolia", "city": "Hohhot"}),
    ("8.8.8.0/24", {"country_code": "US", "state1": "California", "city": "Mountain View"}),
]


def control(kind, size):
    """A field's control byte(s): kind 1-7 in the top bits, extended kinds after."""
    if size < 29:
        head, tail = size, b""
    elif size < 285:
        head, tail = 29, bytes([size - 29])
    else:
        head, tail = 30, struct.pack(">H", size - 285)
    if kind <= 7:
        return bytes([(kind << 5) | head]) + tail
    return bytes([head, kind - 7]) + tail


def encode(value):
    if isinstance(value, str):
        raw = value.encode("utf-8")
        return control(2, len(raw)) + raw
    if isinstance(value, dict):
        out = control(7, len(value))
        for key, item in value.items():
            out += encode(key) + encode(item)
        return out
    if isinstance(value, list):
        out = control(11, len(value))
        for item in value:
            out += encode(item)
        return out
    if isinstance(value, tuple):  # (kind, int): uint16 = 5, uint32 = 6, uint64 = 9
        kind, number = value
        raw = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
        return control(kind, len(raw)) + raw
    raise TypeError(value)


def build():
    data = b""
    leaves = []
    for network, fields in RANGES:
        net = ipaddress.ip_network(network)
        leaves.append((int(net.network_address), net.prefixlen, len(data)))
        data += encode(fields)
    # The search tree: node 0 is the root; each node holds [left, right] records,
    # each a node index, ("data", offset) or None (no data).
    nodes = [[None, None]]
    for address, length, offset in leaves:
        node = 0
        for depth in range(length):
            bit = (address >> (31 - depth)) & 1
            if depth == length - 1:
                nodes[node][bit] = ("data", offset)
            else:
                if nodes[node][bit] is None:
                    nodes.append([None, None])
                    nodes[node][bit] = len(nodes) - 1
                node = nodes[node][bit]
    count = len(nodes)

    def record(value):
        if value is None:
            return count
        if isinstance(value, tuple):
            return count + 16 + value[1]
        return value

    tree = b"".join(
        record(left).to_bytes(3, "big") + record(right).to_bytes(3, "big") for left, right in nodes
    )
    metadata = {
        "node_count": (6, count),
        "record_size": (5, 24),
        "ip_version": (5, 4),
        "database_type": "ip-location-db-test",
        "languages": ["en"],
        "binary_format_major_version": (5, 2),
        "binary_format_minor_version": (5, 0),
        "build_epoch": (9, 1780000000),
        "description": {"en": "Xiaxiang test ranges (tools/ip-db/make-test-mmdb.py)"},
    }
    return tree + bytes(16) + data + b"\xab\xcd\xefMaxMind.com" + encode(metadata)


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/ip-test.mmdb"
    with open(out, "wb") as f:
        f.write(build())
    print(f"wrote {out}")
