// CCacheHints is header-only (static inline functions, inlined into their Swift callers);
// SwiftPM needs one source file per C target.
#include "CCacheHints.h"
