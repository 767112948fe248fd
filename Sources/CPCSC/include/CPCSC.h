// The pcsc-lite client API (libpcsclite-dev), imported as the Clang module CPCSC.
//
// pcsc-lite's headers live in /usr/include/PCSC and include each other as <pcsclite.h> and <wintypes.h>,
// so they need -I/usr/include/PCSC. Its pkg-config file also adds -pthread, which SwiftPM rejects with a
// warning. Instead of pkg-config, this C target publishes two forwarding headers (pcsclite.h, wintypes.h)
// in its include directory, which SwiftPM puts on every client's header search path: no flags, no warning.
#ifndef CPCSC_H
#define CPCSC_H

#if !__has_include(<PCSC/winscard.h>)
#error "pcsc-lite headers not found: apt-get install libpcsclite-dev"
#endif

#include <PCSC/winscard.h>
#include <PCSC/reader.h>

/// MAX_BUFFER_SIZE_EXTENDED (65548): the receive buffer SCardTransmit needs for any extended APDU response.
extern const unsigned long cpcsc_max_buffer_size_extended;

#endif
