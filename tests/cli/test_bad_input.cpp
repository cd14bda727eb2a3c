// Malformed inputs through the real CLI binary (BRICKYARD_CLI), one row of a table each.
// The contract (cli/main.cpp, cli/commands.hpp): bad input exits with status 2 and exactly
// one line on stderr naming the offending field; nothing on stdout; never a crash.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "jobs/process.hpp"

#include <sys/wait.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// --- running the CLI ---------------------------------------------------------------------

struct RunResult {
  bool exited = false;  // false: killed by a signal (a crash), or could not be started
  int status = -1;      // exit status when exited
  int signal = 0;       // terminating signal otherwise
  std::string out, err; // captured stdout and stderr
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void spit(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
  REQUIRE(out.good());
}

// Runs `brickyard args...` with stdout and stderr redirected to files in `dir`.
RunResult run_cli(const std::vector<std::string>& args, const fs::path& dir) {
  const std::string out_path = (dir / "cli.stdout").string();
  const std::string err_path = (dir / "cli.stderr").string();
  std::vector<std::string> argv = {BRICKYARD_CLI};
  argv.insert(argv.end(), args.begin(), args.end());
  brickyard::jobs::Redirect rd;
  rd.out = out_path;
  rd.err = err_path;
  RunResult r;
  int st = 0;
  try {
    st = brickyard::jobs::wait_for(brickyard::jobs::spawn(argv, rd));
  } catch (const std::exception& e) {
    r.err = e.what();
    return r;
  }
  r.exited = WIFEXITED(st);
  if (r.exited)
    r.status = WEXITSTATUS(st);
  else if (WIFSIGNALED(st))
    r.signal = WTERMSIG(st);
  r.out = slurp(out_path);
  r.err = slurp(err_path);
  return r;
}

// A fresh directory under the system temp dir, removed with everything in it.
struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "brickyard_bad_input_XXXXXX").string();
    REQUIRE(mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

// "{tmp}" -> the case's directory, "{data}" -> the source tree's data/ folder.
std::string expand(std::string s, const fs::path& dir) {
  const std::pair<std::string, std::string> subs[] = {{"{tmp}", dir.string()},
                                                      {"{data}", BRICKYARD_DATA_DIR}};
  for (const auto& [from, to] : subs)
    for (auto p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size()))
      s.replace(p, from.size(), to);
  return s;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& a : v) s += (s.empty() ? "" : " ") + ("'" + a + "'");
  return s;
}

// --- inputs ----------------------------------------------------------------------------

const std::string kLayer = "k=3,s=1,oh=7,ow=7,ic=16,oc=16,ab=8,wb=8";
const std::string kAccel = "pe=16x16,abuf=384K,wbuf=384K,obuf=384K,dataflow=ws";
const std::string kNet = R"({"layers": [{"ic": 16, "oc": 16, "ih": 7, "iw": 7, "k": 3}]})";

// A network file with the one layer given.
std::string net_with_layer(const std::string& layer_json) {
  return R"({"name": "t", "layers": [)" + layer_json + "]}";
}

// A mapping for kLayer (extents n1 ow7 oh7 ic16 oc16).
std::string mapping(const std::string& tile, const std::string& order) {
  return R"({"tile": )" + tile + R"(, "order": )" + order + "}";
}
const std::string kTile = R"({"n": 1, "ow": 7, "oh": 7, "ic": 16, "oc": 16})";
const std::string kOrder = R"(["n", "ow", "oh", "ic", "oc"])";

// The first line of a calibration CSV (calibration/record.cpp, csv_header()).
const std::string kCalibrationCsvHeader =
    "point,group,mapping,split,engine,type,n,ic,oc,ih,iw,k,stride,pad,groups,a_bits,w_bits,"
    "pe_rows,pe_cols,abuf_bytes,wbuf_bytes,obuf_bytes,dataflow,dram_bits_per_cycle,"
    "dram_latency_cycles,tile_n,tile_ow,tile_oh,tile_ic,tile_oc,order,"
    "cycles,compute_cycles,stall_cycles,tiles,energy_j,pe_j,abuf_j,wbuf_j,obuf_j,dram_j,leak_j";

// The shipped 45 nm tech table with one edit.
std::string tech_with(const std::function<void(json&)>& edit) {
  std::ifstream in(std::string(BRICKYARD_DATA_DIR) + "/tech/45nm.json");
  json t = json::parse(in);
  edit(t);
  return t.dump(2);
}

struct BadInput {
  std::string name;
  std::vector<std::string> args;                          // after `brickyard`
  std::vector<std::pair<std::string, std::string>> files; // written into {tmp} first
  std::string field;                                      // stderr has "field '<field>'"
};

std::vector<BadInput> bad_inputs() {
  const std::string L = kLayer, A = kAccel;
  auto map_layer = [&](const std::string& layer) {
    return std::vector<std::string>{"map", "--layer", layer, "--accel", A};
  };
  auto map_accel = [&](const std::string& accel) {
    return std::vector<std::string>{"map", "--layer", L, "--accel", accel};
  };
  auto map_net = [&](const std::string& file) {
    return std::vector<std::string>{"map", "--net", "{tmp}/" + file, "--accel", A};
  };
  auto est_mapping = [&](const std::string& file) {
    return std::vector<std::string>{"estimate",  "--layer",      L, "--accel", A,
                                    "--mapping", "{tmp}/" + file};
  };
  auto calibrate = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = {"calibrate", "--out", "{tmp}/cal.json", "--plot", "-"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  };
  auto with_net = [&](std::vector<std::string> args) {
    args.insert(args.end(), {"--net", "{tmp}/net.json"});
    return args;
  };
  const std::pair<std::string, std::string> good_net = {"net.json", kNet};

  return {
      // ---- inline --layer specs ----
      {"layer: unknown key", map_layer(L + ",foo=1"), {}, "foo"},
      {"layer: ab not in {2,4,8}", map_layer("k=3,s=1,oh=7,ow=7,ic=16,oc=16,ab=3,wb=8"), {}, "ab"},
      {"layer: wb not in {2,4,8}", map_layer("k=3,s=1,oh=7,ow=7,ic=16,oc=16,ab=8,wb=16"), {}, "wb"},
      {"layer: ic zero", map_layer("k=3,s=1,oh=7,ow=7,ic=0,oc=16,ab=8,wb=8"), {}, "ic"},
      {"layer: oc negative", map_layer("k=3,s=1,oh=7,ow=7,ic=16,oc=-4,ab=8,wb=8"), {}, "oc"},
      {"layer: k zero", map_layer("k=0,s=1,oh=7,ow=7,ic=16,oc=16,ab=8,wb=8"), {}, "k"},
      {"layer: stride zero", map_layer("k=3,s=0,oh=7,ow=7,ic=16,oc=16,ab=8,wb=8"), {}, "s"},
      {"layer: oh missing", map_layer("k=3,s=1,ow=7,ic=16,oc=16,ab=8,wb=8"), {}, "oh"},
      {"layer: ow negative", map_layer("k=3,s=1,oh=7,ow=-1,ic=16,oc=16,ab=8,wb=8"), {}, "ow"},
      {"layer: ih without iw", map_layer("k=3,s=1,ih=7,ic=16,oc=16,ab=8,wb=8"), {}, "iw"},
      {"layer: empty spec", map_layer(""), {}, "layer"},
      {"layer: item without '='", map_layer(L + ",ab"), {}, "layer"},
      {"layer: key given twice", map_layer(L + ",k=5"), {}, "k"},
      {"layer: depthwise with groups != ic", map_layer(L + ",g=8,type=dw"), {}, "g"},
      {"layer: groups not dividing ic", map_layer(L + ",g=3"), {}, "g"},
      {"layer: pad >= k", map_layer(L + ",pad=3"), {}, "pad"},
      {"layer: unknown type", map_layer(L + ",type=conv2"), {}, "type"},
      {"layer: not an integer", map_layer("k=3,s=1,oh=7,ow=7,ic=1.5,oc=16,ab=8,wb=8"), {}, "ic"},
      {"layer: oh*s overflows int",
       map_layer("k=3,s=31,oh=999999999,ow=7,ic=16,oc=16,ab=8,wb=8"),
       {},
       "oh"},
      {"layer: newline inside a value",
       map_layer("k=3,s=1,oh=7,ow=7,ic=16,oc=16,ab=8,wb=8,type=c\nonv"),
       {},
       "type"},
      {"layer: fits no mapping on tiny buffers",
       {"map", "--layer", "k=7,s=1,oh=224,ow=224,ic=512,oc=512,ab=8,wb=8", "--accel",
        "pe=16x16,abuf=64,wbuf=64,obuf=64"},
       {},
       "layer"},
      // ---- inline --accel specs ----
      {"accel: pe rows zero", map_accel("pe=0x16,abuf=384K,wbuf=384K,obuf=384K"), {}, "pe"},
      {"accel: pe rows 300", map_accel("pe=300x4,abuf=384K,wbuf=384K,obuf=384K"), {}, "pe"},
      {"accel: pe without x", map_accel("pe=16,abuf=384K"), {}, "pe"},
      {"accel: unknown dataflow", map_accel("pe=16x16,dataflow=xs"), {}, "dataflow"},
      {"accel: bad byte suffix", map_accel("pe=16x16,abuf=12Q"), {}, "abuf"},
      {"accel: buffer below 64 bytes", map_accel("pe=16x16,wbuf=32"), {}, "wbuf"},
      {"accel: buffer zero", map_accel("pe=16x16,obuf=0"), {}, "obuf"},
      {"accel: clock zero", map_accel("pe=16x16,clock=0"), {}, "clock"},
      {"accel: dram zero", map_accel("pe=16x16,dram=0"), {}, "dram"},
      {"accel: unknown key", map_accel("pe=16x16,bw=128"), {}, "bw"},
      {"accel: key given twice", map_accel("pe=16x16,pe=8x8"), {}, "pe"},
      {"accel: unknown tech name", map_accel("pe=16x16,tech=3nm"), {}, "tech"},
      // ---- command line ----
      {"cli: missing --accel", {"map", "--layer", L}, {}, "accel"},
      {"cli: both --layer and --net", with_net(map_layer(L)), {good_net}, "net"},
      {"cli: neither --layer nor --net", {"map", "--accel", A}, {}, "layer"},
      {"cli: unknown objective",
       {"map", "--layer", L, "--accel", A, "--objective", "speed"},
       {},
       "objective"},
      {"cli: objective with a newline",
       {"map", "--layer", L, "--accel", A, "--objective", "late\nncy"},
       {},
       "objective"},
      {"cli: negative threads",
       {"map", "--layer", L, "--accel", A, "--threads", "-1"},
       {},
       "threads"},
      {"cli: unknown option", {"map", "--layer", L, "--accel", A, "--bogus"}, {}, "--bogus"},
      {"cli: --mapping on map",
       {"map", "--layer", L, "--accel", A, "--mapping", "m.json"},
       {},
       "--mapping"},
      {"cli: unknown command", {"frobnicate", "--layer", L}, {}, "command"},
      // ---- network JSON files ----
      {"net: syntax error", map_net("n.json"), {{"n.json", R"({"layers": [)"}}, "net"},
      {"net: empty file", map_net("n.json"), {{"n.json", ""}}, "net"},
      {"net: trailing garbage", map_net("n.json"), {{"n.json", kNet + " x"}}, "net"},
      {"net: number overflow",
       map_net("n.json"),
       {{"n.json", net_with_layer(R"({"ic": 16, "oc": 16, "ih": 7, "iw": 7, "k": 1e400})")}},
       "net"},
      {"net: not an object", map_net("n.json"), {{"n.json", "[1, 2]"}}, "<root>"},
      {"net: missing layers", map_net("n.json"), {{"n.json", R"({"name": "x"})"}}, "layers"},
      {"net: layers not an array", map_net("n.json"), {{"n.json", R"({"layers": {}})"}}, "layers"},
      {"net: empty layers", map_net("n.json"), {{"n.json", R"({"layers": []})"}}, "layers"},
      {"net: unknown top-level key",
       map_net("n.json"),
       {{"n.json", R"({"layers": [{"ic": 16, "oc": 16, "ih": 7, "iw": 7}], "extra": 1})"}},
       "extra"},
      {"net: layer is null", map_net("n.json"), {{"n.json", R"({"layers": [null]})"}}, "layers[0]"},
      {"net: unknown key in a layer",
       map_net("n.json"),
       {{"n.json", net_with_layer(R"({"ic": 16, "oc": 16, "ih": 7, "iw": 7, "kernel": 3})")}},
       "layers[0].kernel"},
      {"net: a_bits 3",
       map_net("n.json"),
       {{"n.json", net_with_layer(R"({"ic": 16, "oc": 16, "ih": 7, "iw": 7, "a_bits": 3})")}},
       "layers[0].a_bits"},
      {"net: w_bits 1 in the second layer",
       map_net("n.json"),
       {{"n.json", R"({"layers": [{"ic": 16, "oc": 16, "ih": 7, "iw": 7},
                                  {"ic": 16, "oc": 16, "ih": 7, "iw": 7, "w_bits": 1}]})"}},
       "layers[1].w_bits"},
      {"net: ic 0",
       map_net("n.json"),
       {{"n.json", net_with_layer(R"({"ic": 0, "oc": 16, "ih": 7, "iw": 7})")}},
       "layers[0].ic"},
      {"net: ic missing",
       map_net("n.json"),
       {{"n.json", net_with_layer(R"({"oc": 16, "ih": 7, "iw": 7})")}},
       "layers[0].ic"},
      {"net: string where int expected",
       map_net("n.json"),
       {{"n.json", net_with_layer(R"({"ic": "16", "oc": 16, "ih": 7, "iw": 7})")}},
       "layers[0].ic"},
      {"net: float where int expected",
       map_net("n.json"),
       {{"n.json",
         net_with_layer(R"({"ic": 16, "oc": 16, "ih": 7, "iw": 7, "k": 3, "pad": 1.5})")}},
       "layers[0].pad"},
      {"net: negative stride",
       map_net("n.json"),
       {{"n.json", net_with_layer(R"({"ic": 16, "oc": 16, "ih": 7, "iw": 7, "stride": -2})")}},
       "layers[0].stride"},
      {"net: neither ih/iw nor oh/ow",
       map_net("n.json"),
       {{"n.json", net_with_layer(R"({"ic": 16, "oc": 16, "k": 3})")}},
       "layers[0].ih"},
      {"net: depthwise with groups != ic",
       map_net("n.json"),
       {{"n.json",
         net_with_layer(
             R"({"type": "depthwise", "ic": 16, "oc": 16, "ih": 7, "iw": 7, "groups": 4})")}},
       "layers[0].groups"},
      {"net: oh*stride overflows int",
       map_net("n.json"),
       {{"n.json", net_with_layer(
                       R"({"ic": 16, "oc": 16, "oh": 2147483647, "ow": 7, "k": 3, "stride": 2})")}},
       "layers[0].oh"},
      {"net: 2*pad overflows int",
       map_net("n.json"),
       {{"n.json",
         net_with_layer(R"({"ic": 16, "oc": 16, "oh": 7, "ow": 7, "k": 3, "pad": -2147483648})")}},
       "layers[0].pad"},
      {"net: key given twice",
       map_net("n.json"),
       {{"n.json", net_with_layer(R"({"ic": 16, "oc": 16, "ih": 7, "iw": 7, "k": 3, "k": 5})")}},
       "k"},
      {"net: newline in a string value",
       map_net("n.json"),
       {{"n.json", net_with_layer(R"({"type": "con\nv", "ic": 16, "oc": 16, "ih": 7, "iw": 7})")}},
       "layers[0].type"},
      {"net: nonexistent file", {"map", "--net", "{tmp}/missing.json", "--accel", A}, {}, "net"},
      {"net: a directory", {"map", "--net", "{tmp}", "--accel", A}, {}, "net"},
      // ---- accelerator JSON files ----
      {"accel json: pe_rows 0",
       map_accel("{tmp}/a.json"),
       {{"a.json", R"({"pe_rows": 0})"}},
       "pe_rows"},
      {"accel json: unknown dataflow",
       map_accel("{tmp}/a.json"),
       {{"a.json", R"({"dataflow": "xs"})"}},
       "dataflow"},
      {"accel json: string buffer size",
       map_accel("{tmp}/a.json"),
       {{"a.json", R"({"abuf_bytes": "384K"})"}},
       "abuf_bytes"},
      {"accel json: unknown key",
       map_accel("{tmp}/a.json"),
       {{"a.json", R"({"pe_rows": 16, "peRows": 16})"}},
       "peRows"},
      {"accel json: design file with pe_cols 512",
       map_accel("{tmp}/d.json"),
       {{"d.json", R"({"accelerator": {"pe_cols": 512}})"}},
       "pe_cols"},
      {"accel json: nonexistent file", map_accel("{tmp}/missing.json"), {}, "accel"},
      // ---- mapping JSON files for estimate --mapping ----
      {"mapping: tile out of range",
       est_mapping("m.json"),
       {{"m.json", mapping(R"({"n": 1, "ow": 8, "oh": 7, "ic": 16, "oc": 16})", kOrder)}},
       "mappings[0].tile.ow"},
      {"mapping: tile zero",
       est_mapping("m.json"),
       {{"m.json", mapping(R"({"n": 1, "ow": 7, "oh": 7, "ic": 0, "oc": 16})", kOrder)}},
       "mappings[0].tile.ic"},
      {"mapping: tile missing a dim",
       est_mapping("m.json"),
       {{"m.json", mapping(R"({"n": 1, "ow": 7, "oh": 7, "ic": 16})", kOrder)}},
       "tile.oc"},
      {"mapping: order with a duplicate dim",
       est_mapping("m.json"),
       {{"m.json", mapping(kTile, R"(["n", "ow", "ow", "ic", "oc"])")}},
       "mappings[0].order"},
      {"mapping: order with 4 dims",
       est_mapping("m.json"),
       {{"m.json", mapping(kTile, R"(["n", "ow", "oh", "ic"])")}},
       "order"},
      {"mapping: order with an unknown dim",
       est_mapping("m.json"),
       {{"m.json", mapping(kTile, R"(["n", "ow", "oh", "ic", "xx"])")}},
       "order"},
      {"mapping: wrong number of mappings",
       est_mapping("m.json"),
       {{"m.json",
         R"({"mappings": [)" + mapping(kTile, kOrder) + ", " + mapping(kTile, kOrder) + "]}"}},
       "mappings"},
      {"mapping: mappings not an array",
       est_mapping("m.json"),
       {{"m.json", R"({"mappings": {}})"}},
       "mappings"},
      {"mapping: nonexistent file", est_mapping("missing.json"), {}, "mapping"},
      // ---- calibration and tech files ----
      {"calibration: dram_efficiency 2",
       {"map", "--layer", L, "--accel", A, "--calibration", "{tmp}/c.json"},
       {{"c.json", R"({"dram_efficiency": 2})"}},
       "dram_efficiency"},
      {"calibration: unknown fill_drain key",
       {"map", "--layer", L, "--accel", A, "--calibration", "{tmp}/c.json"},
       {{"c.json", R"({"fill_drain": {"ws": 1, "xs": 1}})"}},
       "fill_drain.xs"},
      {"calibration: string scale",
       {"map", "--layer", L, "--accel", A, "--calibration", "{tmp}/c.json"},
       {{"c.json", R"({"pe_energy_scale": "big"})"}},
       "pe_energy_scale"},
      {"tech: value without source",
       {"map", "--layer", L, "--accel", A, "--tech", "{tmp}/t.json"},
       {{"t.json", tech_with([](json& t) { t["fusion_unit"]["area"].erase("source"); })}},
       "fusion_unit.area.source"},
      {"tech: wrong unit",
       {"map", "--layer", L, "--accel", A, "--tech", "{tmp}/t.json"},
       {{"t.json", tech_with([](json& t) { t["dram"]["energy"]["unit"] = "nJ/bit"; })}},
       "dram.energy.unit"},
      {"tech: sram word_bits 0",
       {"map", "--layer", L, "--accel", A, "--tech", "{tmp}/t.json"},
       {{"t.json", tech_with([](json& t) { t["sram"]["word_bits"] = 0; })}},
       "sram.word_bits"},
      {"tech: one sram point",
       {"map", "--layer", L, "--accel", A, "--tech", "{tmp}/t.json"},
       {{"t.json", tech_with([](json& t) { t["sram"]["points"] = {t["sram"]["points"][0]}; })}},
       "sram.points"},
      {"tech: psum_bits 1e300",
       {"map", "--layer", L, "--accel", A, "--tech", "{tmp}/t.json"},
       {{"t.json", tech_with([](json& t) { t["psum_bits"]["value"] = 1e300; })}},
       "psum_bits.value"},
      {"tech: nonexistent file",
       {"map", "--layer", L, "--accel", A, "--tech", "{tmp}/missing.json"},
       {},
       "tech"},
      // ---- simulate ----
      {"simulate: mapping does not fit the buffers",
       {"simulate", "--layer", L, "--accel", "pe=4x4,abuf=1K,wbuf=1K,obuf=1K,dataflow=ws",
        "--mapping", "{tmp}/m.json"},
       {{"m.json", mapping(kTile, kOrder)}},
       "mappings[0]"},
      {"simulate: mapping file for another network",
       {"simulate", "--layer", L, "--accel", A, "--mapping", "{tmp}/m.json"},
       {{"m.json",
         "{\"mappings\": [" + mapping(kTile, kOrder) + ", " + mapping(kTile, kOrder) + "]}"}},
       "mappings"},
      {"simulate: trace path not writable",
       {"simulate", "--layer", L, "--accel", A, "--trace", "{tmp}/no/such/dir/out.vcd"},
       {},
       "trace"},
      {"simulate: unknown engine",
       {"simulate", "--layer", L, "--accel", A, "--engine", "verilog"},
       {},
       "engine"},
      {"simulate: rtl engine of a shape never built",
       {"simulate", "--layer", L, "--accel", "pe=7x9,abuf=384K,wbuf=384K,obuf=384K,dataflow=ws",
        "--engine", "rtl"},
       {},
       "engine"},
      {"simulate: design without accelerator",
       {"simulate", "--design", "{tmp}/d.json"},
       {{"d.json", "{\"network\": " + kNet + "}"}},
       "design"},
      {"simulate: rtl model that is not a shared library",
       {"simulate", "--layer", L, "--accel", A, "--engine", "rtl", "--rtl-model", "{tmp}/x.so"},
       {{"x.so", "not an ELF file"}},
       "rtl-model"},
      {"simulate: rtl model without --engine rtl",
       {"simulate", "--layer", L, "--accel", A, "--rtl-model", "{tmp}/x.so"},
       {{"x.so", "not an ELF file"}},
       "rtl-model"},
      // ---- export-rtl ----
      {"export-rtl: design missing its accelerator",
       {"export-rtl", "--design", "{tmp}/d.json", "--out", "{tmp}/out"},
       {{"d.json", "{\"network\": " + kNet + "}"}},
       "design"},
      {"export-rtl: array wider than the RTL supports",
       {"export-rtl", "--layer", L, "--accel", "pe=4x65,abuf=384K,wbuf=384K,obuf=384K", "--out",
        "{tmp}/out"},
       {},
       "accelerator.pe_cols"},
      {"export-rtl: output directory not writable",
       {"export-rtl", "--layer", L, "--accel", A, "--out", "{tmp}/no/such/dir/out"},
       {},
       "out"},
      {"export-rtl: output directory exists",
       {"export-rtl", "--layer", L, "--accel", A, "--out", "{tmp}"},
       {},
       "out"},
      {"export-rtl: no output directory", {"export-rtl", "--layer", L, "--accel", A}, {}, "out"},
      {"export-rtl: tolerance out of range",
       {"export-rtl", "--layer", L, "--accel", A, "--out", "{tmp}/out", "--tolerance", "-1"},
       {},
       "tolerance"},
      {"simulate: calibration file with an unknown key",
       {"simulate", "--layer", L, "--accel", A, "--calibration", "{tmp}/c.json"},
       {{"c.json", R"({"fill_drain": {"ws": 1}, "dram_eff": 1})"}},
       "dram_eff"},
      // ---- calibrate ----
      {"calibrate: --points 0", calibrate({"--points", "0"}), {}, "points"},
      {"calibrate: --points not a number", calibrate({"--points", "many"}), {}, "--points"},
      {"calibrate: unknown engine", calibrate({"--engine", "spice"}), {}, "engine"},
      {"calibrate: missing --out", {"calibrate", "--points", "8"}, {}, "out"},
      {"calibrate: --out under a regular file",
       {"calibrate", "--points", "8", "--out", "{tmp}/f.txt/cal.json"},
       {{"f.txt", "a file, not a directory"}},
       "out"},
      {"calibrate: --mappings 1", calibrate({"--mappings", "1"}), {}, "mappings"},
      {"calibrate: --jobs 0", calibrate({"-j", "0"}), {}, "jobs"},
      {"calibrate: --start with a bad coefficient",
       calibrate({"--start", "{tmp}/s.json"}),
       {{"s.json", R"({"dram_efficiency": 0})"}},
       "dram_efficiency"},
      {"calibrate: --resume CSV that is not a calibration CSV",
       calibrate({"--resume", "--points", "8", "--mappings", "2"}),
       {{"cal.csv", "a,b,c\n1,2,3\n"}},
       "resume"},
      {"calibrate: --resume CSV with a corrupt row",
       calibrate({"--resume", "--points", "8", "--mappings", "2"}),
       {{"cal.csv", kCalibrationCsvHeader + "\n0,0,0,test,native,conv,1,x\n"}},
       "resume"},
  };
}

} // namespace

TEST_CASE("malformed inputs exit 2 with one stderr line naming the field", "[cli]") {
  const std::vector<BadInput> cases = bad_inputs();
  REQUIRE(cases.size() >= 40);
  TempDir tmp;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const BadInput& c = cases[i];
    DYNAMIC_SECTION("case " << i << ": " << c.name) {
      const fs::path dir = tmp.path / std::to_string(i);
      fs::create_directories(dir);
      for (const auto& [name, text] : c.files) spit(dir / name, text);
      std::vector<std::string> args;
      for (const auto& a : c.args) args.push_back(expand(a, dir));

      INFO("case: " << c.name);
      INFO("command: brickyard " << join(args));
      const RunResult r = run_cli(args, dir);
      INFO("stderr: " << r.err);
      INFO("stdout: " << r.out);
      REQUIRE(r.exited); // a crash (signal) fails here
      CHECK(r.status == 2);
      CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
      CHECK((!r.err.empty() && r.err.back() == '\n'));
      CHECK_THAT(r.err, Catch::Contains("field '" + c.field + "'"));
      CHECK(r.out.empty());
    }
  }
}

TEST_CASE("a valid --layer spec maps with status 0", "[cli]") {
  TempDir tmp;
  const RunResult r = run_cli({"map", "--layer", kLayer, "--accel", kAccel}, tmp.path);
  INFO("stderr: " << r.err);
  REQUIRE(r.exited);
  CHECK(r.status == 0);
  CHECK(r.err.empty());
  CHECK_THAT(r.out, Catch::Contains("total:"));
}

TEST_CASE("estimate --json of data/nets/fmnist_small.json is a JSON report", "[cli]") {
  TempDir tmp;
  const std::string data = BRICKYARD_DATA_DIR;
  const RunResult r = run_cli({"estimate", "--net", data + "/nets/fmnist_small.json", "--accel",
                               data + "/accels/bitfusion_default.json", "--json"},
                              tmp.path);
  INFO("stderr: " << r.err);
  REQUIRE(r.exited);
  REQUIRE(r.status == 0);
  CHECK(r.err.empty());
  json j;
  REQUIRE_NOTHROW(j = json::parse(r.out));
  REQUIRE(j.is_object());
  REQUIRE(j.contains("layers"));
  REQUIRE(j.contains("total"));
  CHECK(j["layers"].is_array());
  CHECK(j["layers"].size() == 5);
  CHECK(j["total"]["cycles"].get<std::int64_t>() > 0);
}

TEST_CASE("estimate --mapping with a valid mapping file gives status 0", "[cli]") {
  // The same layer and mapping file shape the "mapping:" bad cases break one field of.
  TempDir tmp;
  spit(tmp.path / "m.json", mapping(kTile, kOrder));
  const RunResult r = run_cli({"estimate", "--layer", kLayer, "--accel", kAccel, "--mapping",
                               (tmp.path / "m.json").string()},
                              tmp.path);
  INFO("stderr: " << r.err);
  REQUIRE(r.exited);
  CHECK(r.status == 0);
  CHECK(r.err.empty());
  CHECK_THAT(r.out, Catch::Contains("total:"));
}
