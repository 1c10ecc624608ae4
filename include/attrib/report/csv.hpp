#pragma once
// CSV fields as RFC 4180 (section 2) writes them: a field that holds a comma, a double quote,
// CR or LF is enclosed in double quotes and each double quote in it is doubled; every other
// field is written as it is. Used by every CSV writer of attrib (report/csc.hpp,
// report/faithfulness_report.hpp); public for programs that write their own CSV.
#include "attrib/core/config.hpp"
#include <string>

ATTRIB_BEGIN_NAMESPACE
/// `s` as one CSV field (RFC 4180).
inline std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string q = "\"";
  for (const char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}
ATTRIB_END_NAMESPACE
