#pragma once
// JSON for the headless half (data set, trainer, evaluation, benchmarks): nlohmann/json, header-only
// (Debian's nlohmann-json3-dev, or the copy tests/gpu/pack_data.sh carries to a GPU server).
// Objects keep their keys sorted, as QJsonObject does, so files read the same as before.
#include <cmath>
#include <string>

#include <nlohmann/json.hpp>

namespace pl::json {

using Json = nlohmann::json;

// A finite number, or null (JSON has no NaN/inf).
inline Json number(double v) { return std::isfinite(v) ? Json(v) : Json(nullptr); }

// Parses `text`; on failure throws std::runtime_error "<where>: <what is wrong>".
inline Json parse(const std::string& text, const std::string& where) {
  try {
    return Json::parse(text);
  } catch (const Json::exception& e) {
    throw std::runtime_error(where + ": not valid JSON (" + e.what() + ")");
  }
}

// Indented (4 spaces, as QJsonDocument::Indented) or compact text.
inline std::string dump(const Json& j, bool indented = true) { return j.dump(indented ? 4 : -1) + (indented ? "\n" : ""); }

}  // namespace pl::json
