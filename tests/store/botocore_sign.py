#!/usr/bin/env python3
"""Signs random S3 requests with botocore's S3SigV4Auth and prints, one JSON object a line,
everything needed to sign them again plus botocore's canonical request and signature.
The prestige SigV4 test (tests/store/test_sigv4.c) signs the same requests and compares.
Usage: botocore_sign.py --count N --seed S"""
import argparse
import datetime
import json
import random
import hashlib
from urllib.parse import quote

import botocore.auth
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

ap = argparse.ArgumentParser()
ap.add_argument('--count', type=int, default=300)
ap.add_argument('--seed', type=int, default=7)
args = ap.parse_args()
rnd = random.Random(args.seed)

KEY_CHARS = list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~ +=%&?#@!$'()*,;:") + \
    ['é', 'ß', 'ሴ', '中', '😀', '/', '//']
VAL_CHARS = list("abcXYZ019-_.~ +=%&/?:@!$'()*,;") + ['é', 'ሴ', '😀']


def rstr(chars, lo, hi):
    return ''.join(rnd.choice(chars) for _ in range(rnd.randint(lo, hi)))


class FakeConfig:
    def __init__(self, sign):
        self.s3 = {'payload_signing_enabled': sign}


FIXED = [None]


class _FixedDateTime(datetime.datetime):
    """Stands in for datetime.datetime inside botocore.auth so signatures use a chosen time
    (older botocore calls datetime.datetime.utcnow(), newer ones get_current_datetime())."""
    @classmethod
    def utcnow(cls):
        return FIXED[0].replace(tzinfo=None)

    @classmethod
    def now(cls, tz=None):
        return FIXED[0] if tz else FIXED[0].replace(tzinfo=None)


_dt_module = datetime


class _DateTimeModule:
    datetime = _FixedDateTime
    timezone = _dt_module.timezone
    timedelta = _dt_module.timedelta


botocore.auth.datetime = _DateTimeModule
if hasattr(botocore.auth, 'get_current_datetime'):
    botocore.auth.get_current_datetime = lambda: FIXED[0]


def enc(s):
    return quote(s, safe='-_.~')


for i in range(args.count):
    region = rnd.choice(['us-east-1', 'eu-west-3', 'ap-southeast-2', 'us-gov-west-1', 'auto'])
    method = rnd.choice(['GET', 'PUT', 'POST', 'DELETE', 'HEAD'])
    bucket = rnd.choice(['bucket', 'my-bucket.with.dots', 'b-' + str(rnd.randint(0, 999))])
    key = rstr(KEY_CHARS, 1, 40)
    path = '/' + bucket + '/' + quote(key, safe='/~')
    params = []
    for _ in range(rnd.randint(0, 5)):
        name = rnd.choice(['uploadId', 'partNumber', 'list-type', 'prefix', 'delete', 'x-id', rstr(VAL_CHARS, 1, 8)])
        if rnd.random() < 0.2:
            params.append(enc(name) + '=')
        else:
            params.append(enc(name) + '=' + enc(rstr(VAL_CHARS, 0, 12)))
    if params and rnd.random() < 0.3:
        params.append(params[0])  # repeated parameter
    query = '&'.join(params)
    host = rnd.choice(['127.0.0.1:4569', 's3.amazonaws.com', 'minio.local:9000', 'localhost'])
    url = 'http://' + host + path + ('?' + query if query else '')
    headers = {}
    for _ in range(rnd.randint(0, 4)):
        hn = rnd.choice(['Content-Type', 'x-amz-meta-Owner', 'Range', 'If-None-Match', 'X-Amz-Meta-tag',
                         'Content-MD5', 'x-amz-storage-class'])
        hv = rnd.choice(['  spaced   value  ', 'bytes=0-99', '*', 'a  b\tc', 'application/xml', 'STANDARD',
                         rstr(VAL_CHARS[:-3], 0, 10)])
        headers[hn] = hv
    body = rstr(VAL_CHARS, 0, 64).encode() if method in ('PUT', 'POST') else b''
    token = rstr(VAL_CHARS[:6] + ['/', '+', '='], 20, 60) if rnd.random() < 0.4 else None
    ak = 'AKIA' + ''.join(rnd.choice('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567') for _ in range(16))
    sk = ''.join(rnd.choice('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/+') for _ in range(40))
    sign_payload = rnd.random() < 0.5
    when = datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc) + datetime.timedelta(seconds=rnd.randint(0, 10**8))
    FIXED[0] = when
    req = AWSRequest(method=method, url=url, headers=dict(headers), data=body)
    req.context['client_config'] = FakeConfig(sign_payload)
    auth = S3SigV4Auth(Credentials(ak, sk, token), 's3', region)
    auth.add_auth(req)
    canonical = auth.canonical_request(req)
    authz = req.headers['Authorization']
    sig = authz.split('Signature=')[1]
    sent = [[k, v] for k, v in req.headers.items() if k.lower() != 'authorization']
    sent.append(['host', host])
    print(json.dumps({
        'method': method, 'path': path, 'query': query, 'headers': sent,
        'payload_hash': req.headers['X-Amz-Content-SHA256'],
        'body_sha256': hashlib.sha256(body).hexdigest(),
        'access_key': ak, 'secret_key': sk, 'session_token': token, 'region': region, 'service': 's3',
        'unix_time': int(when.timestamp()), 'canonical_request': canonical, 'signature': sig,
        'authorization': authz,
    }))
