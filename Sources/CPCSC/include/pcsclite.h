// Forwards <pcsclite.h> (as included by <PCSC/winscard.h>) to pcsc-lite's header; see CPCSC.h.
#include <PCSC/pcsclite.h>
