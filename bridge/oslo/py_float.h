// Python's repr(float), which json.dumps writes for a float: shortest
// round-trip digits, and Python's own choice between fixed and exponent
// notation, so that a number the bridge re-encodes reads the same to a
// Python peer.

#ifndef BRIDGE_OSLO_PY_FLOAT_H_
#define BRIDGE_OSLO_PY_FLOAT_H_

#include <string>

namespace amqp::oslo {

// Appends `value` the way Python's repr(float) / json.dumps does: shortest
// round-trip digits, "1.0", "1e-07", "1e+16", NaN, Infinity, -Infinity.
void AppendPyFloat(double value, std::string* out);

}  // namespace amqp::oslo

#endif  // BRIDGE_OSLO_PY_FLOAT_H_
