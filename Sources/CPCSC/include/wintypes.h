// Forwards <wintypes.h> (as included by <PCSC/pcsclite.h>) to pcsc-lite's header; see CPCSC.h.
#include <PCSC/wintypes.h>
