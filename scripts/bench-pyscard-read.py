#!/usr/bin/python3
"""The pyscard side of scripts/bench-vitale-read: replays an APDU sequence (hex, one per argument after the
options) through pcscd with pyscard's PC/SC layer, one transaction per whole read, like `vitale bench`, and
prints the timings as JSON. The T=0 loops (61XX -> GET RESPONSE, 6CXX -> resend) are applied as a real client
must; the card's answers are checked (9000 or 6282) and the data kept, so the work is the same.

Usage: bench-pyscard-read.py READER ITERATIONS WARMUP APDU...
"""
import json
import sys
import time

from smartcard.scard import (SCARD_PROTOCOL_T0, SCARD_PROTOCOL_T1, SCARD_SCOPE_USER, SCARD_SHARE_SHARED,
                             SCARD_LEAVE_CARD, SCardBeginTransaction, SCardConnect, SCardDisconnect,
                             SCardEndTransaction, SCardEstablishContext, SCardReleaseContext, SCardTransmit)


def check(rc, what):
    if rc != 0:
        sys.exit(f"bench-pyscard-read: {what} failed: 0x{rc & 0xFFFFFFFF:08X}")


def main():
    reader, iterations, warmup = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    apdus = [list(bytes.fromhex(a)) for a in sys.argv[4:]]
    rc, context = SCardEstablishContext(SCARD_SCOPE_USER)
    check(rc, "SCardEstablishContext")
    rc, card, protocol = SCardConnect(context, reader, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1)
    check(rc, "SCardConnect")

    def transmit(apdu):
        rc, response = SCardTransmit(card, protocol, apdu)
        check(rc, "SCardTransmit")
        rounds = 0
        data = []
        while len(response) >= 2 and response[-2] in (0x61, 0x6C) and rounds < 32:
            rounds += 1
            if response[-2] == 0x6C:
                apdu = apdu[:-1] + [response[-1]]
            else:
                data += response[:-2]
                apdu = [0x00, 0xC0, 0x00, 0x00, response[-1]]
            rc, response = SCardTransmit(card, protocol, apdu)
            check(rc, "SCardTransmit")
        if len(response) < 2 or (response[-2], response[-1]) not in ((0x90, 0x00), (0x62, 0x82)):
            sys.exit(f"bench-pyscard-read: unexpected answer {bytes(response[-2:]).hex()}")
        return data + response[:-2]

    def read_once():
        check(SCardBeginTransaction(card), "SCardBeginTransaction")
        out = [transmit(a) for a in apdus]
        check(SCardEndTransaction(card, SCARD_LEAVE_CARD), "SCardEndTransaction")
        return out

    for _ in range(warmup):
        read_once()
    times = []
    for _ in range(iterations):
        start = time.perf_counter()
        read_once()
        times.append((time.perf_counter() - start) * 1000)
    SCardDisconnect(card, SCARD_LEAVE_CARD)
    SCardReleaseContext(context)
    times.sort()
    print(json.dumps({
        "client": "pyscard (Python, smartcard.scard)", "iterations": iterations, "apdusPerRead": len(apdus),
        "meanMilliseconds": sum(times) / len(times), "medianMilliseconds": times[len(times) // 2],
        "p90Milliseconds": times[len(times) * 9 // 10], "minMilliseconds": times[0]}))


main()
