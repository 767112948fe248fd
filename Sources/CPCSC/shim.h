#ifndef CPCSC_SHIM_H
#define CPCSC_SHIM_H
#include <winscard.h>
#include <reader.h>
#endif
