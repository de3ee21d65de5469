// The oslo.messaging JSON codec in one include, for code that both reads and
// writes oslo JSON (most of the codec's users): each piece has its own file
// pair and target, for code that needs only one.
//
//   json_parse.h      parsing as Python's json.loads, reading parsed values
//   py_json_writer.h  PyJsonWriter: json.dumps' text, byte for byte
//   json_escape.h     json.dumps' string escapes (ensure_ascii)
//   py_float.h        Python's repr(float)

#ifndef BRIDGE_OSLO_JSON_H_
#define BRIDGE_OSLO_JSON_H_

#include "bridge/oslo/json_escape.h"
#include "bridge/oslo/json_parse.h"
#include "bridge/oslo/py_float.h"
#include "bridge/oslo/py_json_writer.h"

#endif  // BRIDGE_OSLO_JSON_H_
