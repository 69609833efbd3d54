#!/usr/bin/python3
"""Debian's python3-avro (the Apache Avro Python library) as the independent implementation for
tests/avro/it_avro_interop.sh. Values travel as canonical JSON lines (tests/avro/avro_util.h
documents the form): null, booleans, integers; float/double as numbers or "NaN"/"Infinity"/
"-Infinity"; bytes and fixed as hex; decimals as their unscaled integer in a string; maps and
records as objects; a non-null union value as {"<branch type name>": value}.

  avro_peer.py write SCHEMA.avsc IN.jsonl OUT.avro CODEC BLOCK_RECORDS [key=value]...
  avro_peer.py read IN.avro OUT.jsonl [KEY]...    (prints the requested header values)
  avro_peer.py cmp A.jsonl B.jsonl
  avro_peer.py ids SCHEMA.avsc                    (how many Iceberg id attributes it holds)

python3-avro has no snappy or zstandard module here, so this script registers its own codecs:
snappy is a small greedy LZ77 encoder and a decoder written from the format description, with
the Avro CRC32 trailer; zstandard uses the zstd command when it is installed and otherwise
writes frames of raw blocks (valid zstd that libzstd must parse)."""

import binascii
import datetime
import decimal
import io
import json
import shutil
import struct
import subprocess
import sys
import warnings

import avro.codecs
import avro.datafile
import avro.io
import avro.schema

warnings.simplefilter("ignore")  # python3-avro warns on every logical-type value it sees

# ---------------------------------------------------------------------------------------------
# snappy (https://github.com/google/snappy/blob/main/format_description.txt)


def _uvarint(n):
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def snappy_compress(data):
    out = bytearray(_uvarint(len(data)))
    table = {}
    lit_start = i = 0
    n = len(data)

    def literal(end):
        start = lit_start
        while start < end:
            chunk = min(end - start, 65536)
            if chunk <= 60:
                out.append((chunk - 1) << 2)
            elif chunk <= 256:
                out.append(60 << 2)
                out.append(chunk - 1)
            else:
                out.append(61 << 2)
                out.extend(struct.pack("<H", chunk - 1))
            out.extend(data[start : start + chunk])
            start += chunk

    while i + 4 <= n:
        key = data[i : i + 4]
        cand = table.get(key)
        table[key] = i
        if cand is not None and i - cand < 65536:
            length = 4
            while i + length < n and length < 64 and data[cand + length] == data[i + length]:
                length += 1
            literal(i)
            out.append(((length - 1) << 2) | 2)  # copy with a 2-byte offset
            out.extend(struct.pack("<H", i - cand))
            i += length
            lit_start = i
        else:
            i += 1
    literal(n)
    return bytes(out)


def snappy_decompress(data):
    pos = shift = size = 0
    while True:
        b = data[pos]
        pos += 1
        size |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            break
    out = bytearray()
    while pos < len(data):
        tag = data[pos]
        pos += 1
        kind = tag & 3
        if kind == 0:
            length = (tag >> 2) + 1
            if length > 60:
                extra = length - 60
                length = int.from_bytes(data[pos : pos + extra], "little") + 1
                pos += extra
            out.extend(data[pos : pos + length])
            pos += length
            continue
        if kind == 1:
            length = ((tag >> 2) & 7) + 4
            offset = ((tag >> 5) << 8) | data[pos]
            pos += 1
        elif kind == 2:
            length = (tag >> 2) + 1
            offset = struct.unpack_from("<H", data, pos)[0]
            pos += 2
        else:
            length = (tag >> 2) + 1
            offset = struct.unpack_from("<I", data, pos)[0]
            pos += 4
        if offset == 0 or offset > len(out):
            raise ValueError("snappy: bad copy offset")
        for _ in range(length):
            out.append(out[-offset])
    if len(out) != size:
        raise ValueError("snappy: length mismatch")
    return bytes(out)


class SnappyCodec(avro.codecs.Codec):
    @staticmethod
    def compress(data):
        comp = snappy_compress(data) + struct.pack(">I", binascii.crc32(data) & 0xFFFFFFFF)
        return comp, len(comp)

    @staticmethod
    def decompress(readers_decoder):
        length = readers_decoder.read_long()
        data = readers_decoder.read(length - 4)
        out = snappy_decompress(data)
        if struct.unpack(">I", readers_decoder.read(4))[0] != binascii.crc32(out) & 0xFFFFFFFF:
            raise avro.errors.AvroException("snappy block CRC32 mismatch")
        return avro.io.BinaryDecoder(io.BytesIO(out))


# ---------------------------------------------------------------------------------------------
# zstandard


def zstd_raw_frame(data):
    """A zstd frame of raw blocks (RFC 8878 3.1.1): single segment, 8-byte content size."""
    out = bytearray(b"\x28\xb5\x2f\xfd")
    out.append(0xE0)  # FCS 8 bytes, single segment, no checksum, no dictionary
    out.extend(struct.pack("<Q", len(data)))
    pos = 0
    while True:
        chunk = data[pos : pos + 131072]
        pos += len(chunk)
        last = pos >= len(data)
        header = (len(chunk) << 3) | (0 << 1) | (1 if last else 0)  # block type 0: raw
        out.extend(struct.pack("<I", header)[:3])
        out.extend(chunk)
        if last:
            return bytes(out)


ZSTD = shutil.which("zstd")


class ZstandardCodec(avro.codecs.Codec):
    @staticmethod
    def compress(data):
        if ZSTD:
            comp = subprocess.run([ZSTD, "-q", "-c", "-3"], input=data, stdout=subprocess.PIPE, check=True).stdout
        else:
            comp = zstd_raw_frame(data)
        return comp, len(comp)

    @staticmethod
    def decompress(readers_decoder):
        data = readers_decoder.read(readers_decoder.read_long())
        if not ZSTD:
            raise avro.errors.AvroException("no zstd command to decompress with")
        out = subprocess.run([ZSTD, "-q", "-d", "-c"], input=data, stdout=subprocess.PIPE, check=True).stdout
        return avro.io.BinaryDecoder(io.BytesIO(out))


avro.codecs.KNOWN_CODECS["snappy"] = SnappyCodec
avro.codecs.KNOWN_CODECS["zstandard"] = ZstandardCodec

# ---------------------------------------------------------------------------------------------
# canonical JSON <-> python3-avro values

EPOCH_DATE = datetime.date(1970, 1, 1)
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def logical(s):
    return s.get_prop("logicalType") if hasattr(s, "get_prop") else None


def branch_name(s):
    return s.fullname if isinstance(s, avro.schema.NamedSchema) else s.type


def to_py(s, v):
    """canonical JSON -> what python3-avro's writer takes"""
    lt = logical(s)
    if isinstance(s, avro.schema.UnionSchema):
        if v is None:
            return None
        (name, inner), = v.items()
        return to_py(next(b for b in s.schemas if branch_name(b) == name), inner)
    t = s.type
    if lt == "decimal":
        return decimal.Decimal(int(v)).scaleb(-s.get_prop("scale"))
    if t == "int" and lt == "date":
        return EPOCH_DATE + datetime.timedelta(days=v)
    if t == "long" and lt == "timestamp-micros":
        return EPOCH + datetime.timedelta(microseconds=v)
    if t in ("float", "double"):
        return {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}.get(v, v) if isinstance(v, str) else float(v)
    if t in ("bytes", "fixed"):
        return bytes.fromhex(v)
    if t == "array":
        return [to_py(s.items, x) for x in v]
    if t == "map":
        return {k: to_py(s.values, x) for k, x in v.items()}
    if t in ("record", "error"):
        return {f.name: to_py(f.type, v[f.name]) for f in s.fields}
    return v


def fits(s, v):
    t, lt = s.type, logical(s)
    if t == "null":
        return v is None
    if t == "boolean":
        return isinstance(v, bool)
    if lt == "decimal":
        return isinstance(v, decimal.Decimal)
    if t == "int" and lt == "date":
        return isinstance(v, datetime.date) and not isinstance(v, datetime.datetime)
    if t == "long" and lt == "timestamp-micros":
        return isinstance(v, datetime.datetime)
    if t in ("int", "long"):
        return isinstance(v, int) and not isinstance(v, bool)
    if t in ("float", "double"):
        return isinstance(v, float)
    if t == "string":
        return isinstance(v, str)
    if t == "enum":
        return isinstance(v, str) and v in s.symbols
    if t == "bytes":
        return isinstance(v, bytes)
    if t == "fixed":
        return isinstance(v, bytes) and len(v) == s.size
    if t == "array":
        return isinstance(v, list)
    if t == "map":
        return isinstance(v, dict)
    if t in ("record", "error"):
        return isinstance(v, dict) and set(v) == {f.name for f in s.fields}
    return False


def float_json(x):
    if x != x:
        return "NaN"
    if x in (float("inf"), float("-inf")):
        return "Infinity" if x > 0 else "-Infinity"
    return x


def from_py(s, v):
    """what python3-avro's reader gives -> canonical JSON"""
    if isinstance(s, avro.schema.UnionSchema):
        if v is None:
            return None
        b = next(b for b in s.schemas if b.type != "null" and fits(b, v))
        return {branch_name(b): from_py(b, v)}
    t, lt = s.type, logical(s)
    if lt == "decimal":
        return str(int(v.scaleb(s.get_prop("scale"))))
    if t == "int" and lt == "date":
        return (v - EPOCH_DATE).days
    if t == "long" and lt == "timestamp-micros":
        return (v - EPOCH) // datetime.timedelta(microseconds=1)
    if t in ("float", "double"):
        return float_json(v)
    if t in ("bytes", "fixed"):
        return v.hex()
    if t == "array":
        return [from_py(s.items, x) for x in v]
    if t == "map":
        return {k: from_py(s.values, x) for k, x in v.items()}
    if t in ("record", "error"):
        return {f.name: from_py(f.type, v[f.name]) for f in s.fields}
    return v


# ---------------------------------------------------------------------------------------------


def cmd_write(schema_path, in_path, out_path, codec, block_records, *meta):
    schema = avro.schema.parse(open(schema_path).read())
    block_records = int(block_records)
    with open(out_path, "wb") as out:
        w = avro.datafile.DataFileWriter(out, avro.io.DatumWriter(), schema, codec=codec)
        for kv in meta:
            k, v = kv.split("=", 1)
            w.set_meta(k, v.encode())
        for n, line in enumerate(open(in_path), 1):
            w.append(to_py(schema, json.loads(line)))
            if block_records and n % block_records == 0:
                w.sync()
        w.close()


def cmd_read(in_path, out_path, *keys):
    with open(in_path, "rb") as f:
        r = avro.datafile.DataFileReader(f, avro.io.DatumReader())
        schema = r.datum_reader.writers_schema
        with open(out_path, "w") as out:
            for v in r:
                out.write(json.dumps(from_py(schema, v), separators=(",", ":"), ensure_ascii=False) + "\n")
        for k in keys:
            v = r.get_meta(k)
            print(f"{k}={v.decode() if v is not None else '<absent>'}")


def cmd_cmp(a_path, b_path):
    a = [json.loads(x) for x in open(a_path)]
    b = [json.loads(x) for x in open(b_path)]
    if len(a) != len(b):
        print(f"{a_path}: {len(a)} records, {b_path}: {len(b)}")
        return 1
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            print(f"record {i} differs:\n  {json.dumps(x)}\n  {json.dumps(y)}")
            return 1
    print(f"{len(a)} records equal")
    return 0


def cmd_ids(schema_path):
    def walk(j):
        n = 0
        if isinstance(j, dict):
            n += sum(1 for k in ("field-id", "element-id", "key-id", "value-id") if k in j)
            n += sum(walk(v) for v in j.values())
        elif isinstance(j, list):
            n += sum(walk(v) for v in j)
        return n

    print(walk(json.load(open(schema_path))))


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    rc = {"write": cmd_write, "read": cmd_read, "cmp": cmd_cmp, "ids": cmd_ids}[cmd](*args)
    sys.exit(rc or 0)
