#include "CPCSC.h"

// Macros with casts or arithmetic do not import into Swift; constants here do.
const unsigned long cpcsc_max_buffer_size_extended = MAX_BUFFER_SIZE_EXTENDED;
