#!/usr/bin/python3
"""Read the public identity and NIR files of a carte Vitale 2 with pyscard, an outside PC/SC client.

Usage: pyscard-read-vitale.py "READER NAME"
Prints one JSON object: {"atr": "...", "persons": [{"nom", "prenom", "naissance", "nir"}, ...]}.
Uses only the public APDU sequence (docs/card-layout.md 2.5): SELECT MF, READ BINARY SFI 2, SELECT VITALE,
READ BINARY SFI 2, with the T=0 rules (61XX -> GET RESPONSE, 6CXX -> resend with Le=XX).
Exit status 3 with "card removed: ..." on stderr when the card was pulled out during the read (the
failed exchange is followed by PC/SC's SCARD_W_REMOVED_CARD, 0x80100069, once pcscd has noticed), 2 with
another error.
"""
import json
import sys
import time

from smartcard.System import readers
from smartcard.util import toHexString

VITALE_AID = [0xD2, 0x50, 0x00, 0x00, 0x02, 0x56, 0x49, 0x54, 0x41, 0x4C, 0x45]


def transmit(connection, apdu):
    data, sw1, sw2 = connection.transmit(apdu)
    rounds = 0
    while sw1 in (0x61, 0x6C) and rounds < 32:
        rounds += 1
        if sw1 == 0x6C:
            data, sw1, sw2 = connection.transmit(apdu[:-1] + [sw2])
        else:
            more, sw1, sw2 = connection.transmit([0x00, 0xC0, 0x00, 0x00, sw2])
            data = data + more
    return data, (sw1 << 8) | sw2


def tlvs(data):
    """Parse BER-TLVs, stopping at a 00 tag byte (padding)."""
    i = 0
    out = []
    while i < len(data) and data[i] not in (0x00, 0xFF):
        tag = data[i]
        i += 1
        if tag & 0x1F == 0x1F:
            while True:
                tag = (tag << 8) | data[i]
                i += 1
                if data[i - 1] & 0x80 == 0:
                    break
        length = data[i]
        i += 1
        if length & 0x80:
            n = length & 0x7F
            length = int.from_bytes(bytes(data[i:i + n]), "big")
            i += n
        if i + length > len(data):
            raise ValueError("TLV value runs past the data")
        out.append((tag, data[i:i + length]))
        i += length
    return out


def read_sfi2(connection):
    data, sw = transmit(connection, [0x00, 0xB0, 0x82, 0x00, 0x00])
    if sw not in (0x9000, 0x6282):
        raise RuntimeError("READ BINARY SFI 2 answered %04X" % sw)
    return data


class Removed(Exception):
    pass


def classify(connection, error):
    """After a failed exchange, find out whether the card was removed: PC/SC says so (0x80100069) once
    pcscd's presence poll has noticed, within a second or so."""
    last = str(error)
    deadline = time.time() + 5
    while time.time() < deadline:
        try:
            connection.transmit([0x00, 0xA4, 0x00, 0x0C, 0x02, 0x3F, 0x00])
        except Exception as again:  # pyscard raises several exception types here
            last = str(again)
            if "0x80100069" in last or "removed" in last.lower():
                raise Removed(last)
        time.sleep(0.1)
    raise RuntimeError(last)


def main():
    name = sys.argv[1]
    matching = [r for r in readers() if str(r) == name]
    if not matching:
        print("reader %r not found" % name, file=sys.stderr)
        return 2
    connection = matching[0].createConnection()
    connection.connect()
    atr = toHexString(connection.getATR())
    try:
        return read(connection, atr)
    except Removed:
        raise
    except Exception as error:
        classify(connection, error)


def read(connection, atr):
    _, sw = transmit(connection, [0x00, 0xA4, 0x00, 0x00, 0x02, 0x3F, 0x00])
    if sw != 0x9000:
        raise RuntimeError("SELECT MF answered %04X" % sw)
    identity = [dict((t, bytes(v).decode("latin-1")) for t, v in tlvs(value))
                for tag, value in tlvs(read_sfi2(connection)) if tag == 0x65]
    _, sw = transmit(connection, [0x00, 0xA4, 0x04, 0x00, len(VITALE_AID)] + VITALE_AID)
    if sw != 0x9000:
        raise RuntimeError("SELECT VITALE answered %04X" % sw)
    nirs = [dict((t, bytes(v).decode("ascii")) for t, v in tlvs(value))
            for tag, value in tlvs(read_sfi2(connection)) if tag == 0x65]
    persons = []
    for i, person in enumerate(identity):
        persons.append({"nom": person.get(0x80), "prenom": person.get(0x81), "naissance": person.get(0x82),
                        "nir": nirs[i].get(0x93) if i < len(nirs) else None})
    print(json.dumps({"atr": atr, "persons": persons}))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Removed as error:
        print("card removed: %s" % error, file=sys.stderr)
        sys.exit(3)
    except Exception as error:  # a removed card, a transmission error: report, exit 2
        print("%s: %s" % (type(error).__name__, error), file=sys.stderr)
        sys.exit(2)
