#include "calibration/record.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "model/error.hpp"

namespace brickyard::calibration {

using model::Dim;
using model::SpecError;

std::vector<Record> records_of(const Group& g, const std::string& engine) {
  std::vector<Record> out;
  for (std::size_t j = 0; j < g.mappings.size(); ++j) {
    Record r;
    r.point = g.first_point() + int(j);
    r.group = g.id;
    r.index = int(j);
    r.test = g.test;
    r.engine = engine;
    r.layer = g.layer;
    r.accel = g.accel;
    r.mapping = g.mappings[j];
    out.push_back(r);
  }
  return out;
}

const std::string& csv_header() {
  static const std::string h =
      "point,group,mapping,split,engine,type,n,ic,oc,ih,iw,k,stride,pad,groups,a_bits,w_bits,"
      "pe_rows,pe_cols,abuf_bytes,wbuf_bytes,obuf_bytes,dataflow,dram_bits_per_cycle,"
      "dram_latency_cycles,tile_n,tile_ow,tile_oh,tile_ic,tile_oc,order,"
      "cycles,compute_cycles,stall_cycles,tiles,energy_j,pe_j,abuf_j,wbuf_j,obuf_j,dram_j,leak_j";
  return h;
}

namespace {
constexpr int kKeyColumns = 31;
constexpr int kColumns = 42;

std::string order_string(const model::Mapping& m) {
  std::string s;
  for (int i = 0; i < model::kNumDims; ++i)
    s += (i ? ">" : "") + std::string(model::to_string(m.order[std::size_t(i)]));
  return s;
}

std::string num(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.9e", v);
  return buf;
}
} // namespace

std::string csv_key(const Record& r) {
  const auto& l = r.layer;
  const auto& a = r.accel;
  std::ostringstream s;
  s << r.point << ',' << r.group << ',' << r.index << ',' << (r.test ? "test" : "train") << ','
    << r.engine << ',' << model::to_string(l.type) << ',' << l.n << ',' << l.ic << ',' << l.oc
    << ',' << l.ih << ',' << l.iw << ',' << l.k << ',' << l.stride << ',' << l.pad << ','
    << l.groups << ',' << l.a_bits << ',' << l.w_bits << ',' << a.pe_rows << ',' << a.pe_cols << ','
    << a.abuf_bytes << ',' << a.wbuf_bytes << ',' << a.obuf_bytes << ','
    << model::to_string(a.dataflow) << ',' << a.dram_bits_per_cycle << ',' << a.dram_latency_cycles;
  for (Dim d : model::kAllDims) s << ',' << r.mapping[d];
  s << ',' << order_string(r.mapping);
  return s.str();
}

std::string to_csv_row(const Record& r) {
  std::ostringstream s;
  s << csv_key(r) << ',' << r.cycles << ',' << r.compute_cycles << ',' << r.stall_cycles << ','
    << r.tiles << ',' << num(r.energy_j) << ',' << num(r.energy.pe) << ',' << num(r.energy.abuf)
    << ',' << num(r.energy.wbuf) << ',' << num(r.energy.obuf) << ',' << num(r.energy.dram) << ','
    << num(r.energy.leak);
  return s.str();
}

Record parse_csv_row(const std::string& line, const std::string& field, int line_no) {
  std::vector<std::string> f;
  std::string cur;
  for (char c : line) {
    if (c == ',') {
      f.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  f.push_back(cur);
  const std::string where = "line " + std::to_string(line_no) + ": ";
  if (f.size() != kColumns)
    throw SpecError(field, where + "has " + std::to_string(f.size()) + " columns, expected " +
                               std::to_string(kColumns));
  std::size_t col = 0;
  auto i64 = [&]() -> std::int64_t {
    const std::string& s = f[col];
    char* end = nullptr;
    errno = 0;
    long long v = s.empty() ? 0 : std::strtoll(s.c_str(), &end, 10);
    if (s.empty() || errno || *end)
      throw SpecError(field, where + "column '" + csv_column(col) + "' is not an integer");
    ++col;
    return v;
  };
  auto i32 = [&]() { return int(i64()); };
  auto dbl = [&]() {
    const std::string& s = f[col];
    char* end = nullptr;
    double v = s.empty() ? 0 : std::strtod(s.c_str(), &end);
    if (s.empty() || *end)
      throw SpecError(field, where + "column '" + csv_column(col) + "' is not a number");
    ++col;
    return v;
  };
  auto str = [&]() { return f[col++]; };
  Record r;
  try {
    r.point = i32();
    r.group = i32();
    r.index = i32();
    std::string split = str();
    if (split != "test" && split != "train")
      throw SpecError(field, where + "column 'split' must be test or train");
    r.test = split == "test";
    r.engine = str();
    auto& l = r.layer;
    l.type = model::layer_type_from_string(str(), field);
    l.n = i32();
    l.ic = i32();
    l.oc = i32();
    l.ih = i32();
    l.iw = i32();
    l.k = i32();
    l.stride = i32();
    l.pad = i32();
    l.groups = i32();
    l.a_bits = i32();
    l.w_bits = i32();
    auto& a = r.accel;
    a.pe_rows = i32();
    a.pe_cols = i32();
    a.abuf_bytes = i64();
    a.wbuf_bytes = i64();
    a.obuf_bytes = i64();
    a.dataflow = model::dataflow_from_string(str(), field);
    a.dram_bits_per_cycle = i32();
    a.dram_latency_cycles = i32();
    for (Dim d : model::kAllDims) r.mapping[d] = i32();
    std::string order = str();
    std::size_t p = 0;
    for (int i = 0; i < model::kNumDims; ++i) {
      std::size_t q = order.find('>', p);
      r.mapping.order[std::size_t(i)] = model::dim_from_string(
          order.substr(p, q == std::string::npos ? std::string::npos : q - p), field);
      p = q == std::string::npos ? order.size() : q + 1;
    }
    r.cycles = i64();
    r.compute_cycles = i64();
    r.stall_cycles = i64();
    r.tiles = i64();
    r.energy_j = dbl();
    r.energy.pe = dbl();
    r.energy.abuf = dbl();
    r.energy.wbuf = dbl();
    r.energy.obuf = dbl();
    r.energy.dram = dbl();
    r.energy.leak = dbl();
    model::validate(l);
    model::validate(a);
    model::validate(r.mapping, l);
  } catch (const SpecError& e) {
    if (e.field() == field) throw;
    throw SpecError(field, where + e.what());
  }
  if (r.cycles <= 0 || !(r.energy_j > 0))
    throw SpecError(field, where + "cycles and energy must be positive");
  return r;
}

std::string csv_column(std::size_t i) {
  std::string h = csv_header();
  std::size_t p = 0;
  for (std::size_t k = 0; k < i; ++k) p = h.find(',', p) + 1;
  return h.substr(p, h.find(',', p) - p);
}

CsvContents read_csv(const std::string& path, const std::string& field) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw SpecError(field, "cannot read '" + path + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  CsvContents c;
  std::size_t p = 0;
  int line_no = 0;
  while (p < text.size()) {
    std::size_t nl = text.find('\n', p);
    if (nl == std::string::npos) {
      c.truncated_tail = true; // killed mid-row: ignored, rewritten on resume
      break;
    }
    std::string line = text.substr(p, nl - p);
    ++line_no;
    if (line_no == 1) {
      if (line != csv_header())
        throw SpecError(field, "'" + path + "' is not a calibration CSV (its header differs)");
    } else {
      c.rows.push_back(parse_csv_row(line, field, line_no));
    }
    p = nl + 1;
    c.complete_bytes = p;
  }
  if (line_no == 0 && !c.truncated_tail) c.complete_bytes = 0;
  return c;
}

void write_csv(const std::string& path, const std::vector<Record>& rows) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw SpecError("csv", "cannot write '" + path + "'");
    out << csv_header() << '\n';
    for (const auto& r : rows) out << to_csv_row(r) << '\n';
    out.flush();
    if (!out) throw SpecError("csv", "write failed for '" + path + "'");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    throw SpecError("csv", "cannot write '" + path + "'");
  }
}

} // namespace brickyard::calibration
