#pragma once
// Reads the fields of one JSON object with field-named errors, remembering which keys were
// consumed so that unknown keys (usually typos) are reported instead of silently ignored:
//   JsonReader r(j, "layers[2].");  int k = r.get_int("k", 1, 1, 11);  r.finish();
// Errors are model::SpecError("<where><key>", ...). JsonReader::key_recorder, when set, collects
// every field path asked about (tests/search/test_config_doc.cpp checks docs/config.md with it).
#include <cstdint>
#include <set>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "model/error.hpp"

namespace brickyard::model {

class JsonReader {
public:
  using json = nlohmann::json;
  JsonReader(const json& j, std::string where) : j_(j), where_(std::move(where)) {
    if (!j_.is_object())
      throw SpecError(where_.empty() ? "<root>" : where_.substr(0, where_.size() - 1),
                      "expected a JSON object");
  }
  // Opt-in recorder (tests, docs checks): when non-null, every key any reader is asked about
  // is inserted as "<where><key>", present or not. Every accessor (raw, require, get_*,
  // array) goes through has(), so has() records. Null costs one branch.
  inline static std::set<std::string>* key_recorder = nullptr;

  bool has(const std::string& key) const {
    if (key_recorder) key_recorder->insert(where_ + key);
    return j_.contains(key);
  }
  std::string field(const std::string& key) const { return where_ + key; }
  const json& raw(const std::string& key) {
    if (!has(key)) throw SpecError(field(key), "missing");
    used_.insert(key);
    return j_.at(key);
  }
  void require(const std::string& key) const {
    if (!has(key)) throw SpecError(field(key), "missing");
  }

  int get_int(const std::string& key, int def) {
    return static_cast<int>(
        get_i64(key, def, -(std::int64_t(1) << 31), (std::int64_t(1) << 31) - 1, false));
  }
  int get_int(const std::string& key, int def, int lo, int hi) {
    return static_cast<int>(get_i64(key, def, lo, hi, true));
  }
  std::int64_t get_i64(const std::string& key, std::int64_t def) {
    if (!has(key)) return def;
    const json& v = raw(key);
    if (!v.is_number_integer()) throw SpecError(field(key), "must be an integer");
    return v.get<std::int64_t>();
  }
  std::int64_t get_i64(const std::string& key, std::int64_t def, std::int64_t lo, std::int64_t hi,
                       bool say_range = true) {
    if (!has(key)) return def;
    const std::int64_t x = get_i64(key, def);
    if (x < lo || x > hi)
      throw SpecError(field(key), say_range
                                      ? "must be in " + std::to_string(lo) + ".." +
                                            std::to_string(hi) + " (got " + std::to_string(x) + ")"
                                      : std::string("out of range"));
    return x;
  }
  double get_double(const std::string& key, double def) {
    if (!has(key)) return def;
    const json& v = raw(key);
    if (!v.is_number()) throw SpecError(field(key), "must be a number");
    return v.get<double>();
  }
  double get_double(const std::string& key, double def, double lo, double hi) {
    const double x = get_double(key, def);
    if (!(x >= lo && x <= hi))
      throw SpecError(field(key),
                      "must be in [" + num(lo) + ", " + num(hi) + "] (got " + num(x) + ")");
    return x;
  }
  std::string get_string(const std::string& key, const std::string& def) {
    if (!has(key)) return def;
    const json& v = raw(key);
    if (!v.is_string()) throw SpecError(field(key), "must be a string");
    return v.get<std::string>();
  }
  bool get_bool(const std::string& key, bool def) {
    if (!has(key)) return def;
    const json& v = raw(key);
    if (!v.is_boolean()) throw SpecError(field(key), "must be true or false");
    return v.get<bool>();
  }
  const json& array(const std::string& key) {
    const json& v = raw(key);
    if (!v.is_array()) throw SpecError(field(key), "must be an array");
    return v;
  }
  // Throws on the first key that was never read.
  void finish() const {
    for (auto it = j_.begin(); it != j_.end(); ++it)
      if (!used_.count(it.key())) throw SpecError(field(it.key()), "unknown key");
  }

private:
  static std::string num(double v) {
    std::string s = std::to_string(v);
    while (s.size() > 1 && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
    return s;
  }
  const json& j_;
  std::string where_;
  std::set<std::string> used_;
};

} // namespace brickyard::model
