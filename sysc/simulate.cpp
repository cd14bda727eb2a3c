#include "sysc/simulate.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <exception>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <tuple>

#include <systemc>

#include "model/error.hpp"
#include "model/estimator.hpp"
#include "model/estimator_detail.hpp"
#include "sysc/buffer.hpp"
#include "sysc/dram.hpp"
#include "sysc/layer_data.hpp"
#include "sysc/tile_compute.hpp"

namespace brickyard::sysc {

namespace {

using model::Dim;
using sc_core::sc_time;

struct Job {
  model::Layer layer;
  model::Mapping mapping;
};

// Tiles per mapping dimension (per group).
std::array<int, model::kNumDims> tile_counts(const model::Layer& l, const model::Mapping& m) {
  const auto ext = model::extents(l);
  std::array<int, model::kNumDims> nt{};
  for (int d = 0; d < model::kNumDims; ++d) nt[d] = (ext[d] + m.tile[d] - 1) / m.tile[d];
  return nt;
}

// The layer's image in DRAM, laid out by the host before the layer runs (BitFusion's
// compiler does the same): every distinct activation, weight and output tile has its own
// slot, in the tile layout of tile_compute.hpp, so each DMA is one contiguous burst.
// Activation tiles that overlap (kernel halos) are stored once per tile.
struct DramImage {
  std::array<int, model::kNumDims> nt{};
  int groups = 1;
  std::uint64_t act_slot = 0, wgt_slot = 0, out_slot = 0; // bytes, for a full tile
  std::uint64_t act_base = 0, wgt_base = 0, out_base = 0, size = 0;

  DramImage(const model::Layer& l, const model::Mapping& m, int psum_bits)
      : nt(tile_counts(l, m)), groups(l.groups) {
    auto t = [&](Dim d) { return std::uint64_t(m.tile[int(d)]); };
    auto in_tile = [&](Dim d) { return (t(d) - 1) * std::uint64_t(l.stride) + std::uint64_t(l.k); };
    act_slot = (t(Dim::N) * t(Dim::IC) * in_tile(Dim::OH) * in_tile(Dim::OW) * l.a_bits + 7) / 8;
    wgt_slot = (t(Dim::OC) * t(Dim::IC) * l.k * l.k * l.w_bits + 7) / 8;
    out_slot = (t(Dim::N) * t(Dim::OH) * t(Dim::OW) * t(Dim::OC) * psum_bits + 7) / 8;
    auto slots = [&](std::initializer_list<Dim> ds) {
      std::uint64_t n = std::uint64_t(groups);
      for (Dim d : ds) n *= std::uint64_t(nt[int(d)]);
      return n;
    };
    auto align = [](std::uint64_t x) { return (x + 63) / 64 * 64; };
    wgt_base = align(slots({Dim::N, Dim::OW, Dim::OH, Dim::IC}) * act_slot);
    out_base = wgt_base + align(slots({Dim::IC, Dim::OC}) * wgt_slot);
    size = std::max<std::uint64_t>(
        64, out_base + align(slots({Dim::N, Dim::OW, Dim::OH, Dim::OC}) * out_slot));
  }
  std::uint64_t act_addr(const Tile& t, const model::Mapping& m) const {
    std::uint64_t i = std::uint64_t(t.group);
    i = i * nt[int(Dim::N)] + t.n0 / m.tile[int(Dim::N)];
    i = i * nt[int(Dim::OW)] + t.ow0 / m.tile[int(Dim::OW)];
    i = i * nt[int(Dim::OH)] + t.oh0 / m.tile[int(Dim::OH)];
    i = i * nt[int(Dim::IC)] + t.ic0 / m.tile[int(Dim::IC)];
    return act_base + i * act_slot;
  }
  std::uint64_t wgt_addr(const Tile& t, const model::Mapping& m) const {
    std::uint64_t i = std::uint64_t(t.group);
    i = i * nt[int(Dim::IC)] + t.ic0 / m.tile[int(Dim::IC)];
    i = i * nt[int(Dim::OC)] + t.oc0 / m.tile[int(Dim::OC)];
    return wgt_base + i * wgt_slot;
  }
  std::uint64_t out_addr(const Tile& t, const model::Mapping& m) const {
    std::uint64_t i = std::uint64_t(t.group);
    i = i * nt[int(Dim::N)] + t.n0 / m.tile[int(Dim::N)];
    i = i * nt[int(Dim::OW)] + t.ow0 / m.tile[int(Dim::OW)];
    i = i * nt[int(Dim::OH)] + t.oh0 / m.tile[int(Dim::OH)];
    i = i * nt[int(Dim::OC)] + t.oc0 / m.tile[int(Dim::OC)];
    return out_base + i * out_slot;
  }
};

struct LayerRun;

class AcceleratorTop : public sc_core::sc_module {
public:
  SC_HAS_PROCESS(AcceleratorTop);
  AcceleratorTop(sc_core::sc_module_name name, const model::Accelerator& a, const model::Tech& t,
                 std::vector<Job> jobs, const SimOptions& o)
      : sc_module(name), dram("dram", dram_options(a, image_bytes(jobs, t.psum_bits))), port("dma"),
        accel_(a), tech_(t), jobs_(std::move(jobs)), opt_(o), sig_layer("layer"), sig_tile("tile"),
        sig_state("state") {
    port.socket.bind(dram.socket);
    period_ = dram.options().clock_period;
    engine_ = make_engine(opt_.engine, a.dataflow, a.pe_rows, a.pe_cols);
    if (opt_.cross_check)
      other_ = make_engine(opt_.engine == Engine::Native ? Engine::Rtl : Engine::Native, a.dataflow,
                           a.pe_rows, a.pe_cols);
    k_ = model::detail::accel_constants(a, t, model::Calibration{});
    SC_THREAD(run);
  }

  void trace(sc_core::sc_trace_file* f) {
    sc_core::sc_trace(f, sig_layer, "layer");
    sc_core::sc_trace(f, sig_tile, "tile");
    sc_core::sc_trace(f, sig_state, "state"); // 0 idle, 1 compute, 2 stall on DRAM
  }

  Dram dram;
  DramPort port;
  std::vector<LayerSimStats> results;
  std::exception_ptr error;

private:
  // DRAM large enough for the image of every layer (one layer at a time).
  static std::uint64_t image_bytes(const std::vector<Job>& jobs, int psum_bits) {
    std::uint64_t size = 64;
    for (const Job& j : jobs) size = std::max(size, DramImage(j.layer, j.mapping, psum_bits).size);
    return size;
  }

  void run() {
    try {
      for (std::size_t i = 0; i < jobs_.size(); ++i) {
        sig_layer.write(int(i));
        results.push_back(run_layer(jobs_[i], int(i)));
      }
    } catch (...) {
      error = std::current_exception();
    }
    sig_state.write(0);
    sc_core::sc_stop();
  }

  std::int64_t cycles_since(const sc_time& t0) const {
    return std::llround((sc_core::sc_time_stamp() - t0) / period_);
  }

  // Waits until `t` (a DRAM completion); the watchdog names what is waited for.
  void wait_until(const sc_time& t, const std::string& what) {
    if (t <= sc_core::sc_time_stamp()) return;
    double cycles = (t - sc_core::sc_time_stamp()) / period_;
    if (cycles > double(opt_.watchdog_cycles))
      throw std::runtime_error("watchdog: controller waits " +
                               std::to_string(std::llround(cycles)) + " cycles (limit " +
                               std::to_string(opt_.watchdog_cycles) + ") on the DRAM for " + what);
    sig_state.write(2);
    if (opt_.skip_idle) {
      sc_core::wait(t - sc_core::sc_time_stamp());
    } else {
      while (sc_core::sc_time_stamp() < t) sc_core::wait(period_);
    }
  }

  static void tick(void* self) { sc_core::wait(static_cast<AcceleratorTop*>(self)->period_); }

  LayerSimStats run_layer(const Job& job, int index);
  void put_operands(LayerRun& r);
  sc_time load(Buffer& b, std::uint64_t addr, std::uint64_t bits);
  sc_time issue_loads(LayerRun& r, const Tile& t, const Tile* prev);
  void swap_for(LayerRun& r, const Tile& t, const Tile* prev);
  void compute(LayerRun& r, const Tile& cur, OutTile& out, const CycleHook& hook, std::int64_t i,
               LayerSimStats& st);
  void run_tiles(LayerRun& r, LayerSimStats& st, const sc_time& t0);
  std::vector<std::int32_t> read_outputs(LayerRun& r);
  void account(const LayerRun& r, LayerSimStats& st, const sc_time& t0, const DramStats& dram0);

  model::Accelerator accel_;
  model::Tech tech_;
  std::vector<Job> jobs_;
  SimOptions opt_;
  sc_time period_;
  std::unique_ptr<ArrayEngine> engine_, other_;
  model::detail::AccelConstants k_;
  std::vector<std::uint8_t> scratch_, drain_;
  sc_core::sc_signal<int> sig_layer, sig_tile, sig_state;
};

// One layer's walk over its tiles: the layer, its mapping, its data and DRAM image, the
// loop-nest position of every iteration, and the DMA bookkeeping of the run.
struct LayerRun {
  using Key = std::tuple<int, int, int, int, int, int>;
  const model::Layer& l;
  const model::Mapping& m;
  LayerData data;
  LayerFormat fmt;
  std::array<int, model::kNumDims> ext;
  DramImage img;
  std::int64_t per_group = 1, total = 0;
  int ps = 0;
  Buffers buf;
  std::map<Key, bool> out_written; // output tiles holding partial sums in DRAM
  std::uint64_t act_dram = 0, wgt_dram = 0, out_wr = 0, out_rd = 0; // bits moved by the DMA
  TileActivity sum;                                                 // of every tile
  std::int64_t compute = 0;                                         // cycles

  LayerRun(const Job& job, int index, const SimOptions& opt, const model::Tech& tech,
           const model::Accelerator& a)
      : l(job.layer), m(job.mapping),
        data(LayerData::random(l, opt.seed + std::uint32_t(index), opt.a_signed, opt.w_signed)),
        fmt{l, opt.a_signed, opt.w_signed, tech.psum_bits}, ext(model::extents(l)),
        img(l, m, tech.psum_bits), ps(tech.psum_bits), buf(make_buffers(a)) {
    for (int d = 0; d < model::kNumDims; ++d) per_group *= img.nt[d];
    total = per_group * l.groups;
  }

  // Iteration i -> tile, walking the loops in mapping order (outermost first).
  Tile tile_of(std::int64_t i) const {
    Tile t;
    t.group = int(i / per_group);
    std::int64_t r = i % per_group;
    std::array<int, model::kNumDims> idx{};
    for (int p = model::kNumDims - 1; p >= 0; --p) {
      int d = int(m.order[p]);
      idx[d] = int(r % img.nt[d]);
      r /= img.nt[d];
    }
    auto at = [&](Dim d, int& o0, int& sz) {
      int di = int(d);
      o0 = idx[di] * m.tile[di];
      sz = std::min(m.tile[di], ext[di] - o0);
    };
    at(Dim::N, t.n0, t.n);
    at(Dim::OW, t.ow0, t.ow);
    at(Dim::OH, t.oh0, t.oh);
    at(Dim::IC, t.ic0, t.ic);
    at(Dim::OC, t.oc0, t.oc);
    return t;
  }
  static Key act_key(const Tile& t) { return Key{t.group, t.n0, t.ow0, t.oh0, t.ic0, -1}; }
  static Key wgt_key(const Tile& t) { return Key{t.group, -1, -1, -1, t.ic0, t.oc0}; }
  static Key out_key(const Tile& t) { return Key{t.group, t.n0, t.ow0, t.oh0, -1, t.oc0}; }
};

// The host puts the layer's operands into DRAM (untimed), one slot per distinct tile.
void AcceleratorTop::put_operands(LayerRun& r) {
  for (std::int64_t i = 0; i < r.total; ++i) {
    Tile t = r.tile_of(i);
    if (t.oc0 == 0) {
      pack_act_tile(r.data, t, scratch_);
      port.debug_write(r.img.act_addr(t, r.m), scratch_.data(), scratch_.size());
    }
    if (t.n0 == 0 && t.ow0 == 0 && t.oh0 == 0) {
      pack_wgt_tile(r.data, t, scratch_);
      port.debug_write(r.img.wgt_addr(t, r.m), scratch_.data(), scratch_.size());
    }
  }
}

// A tile burst from DRAM into the fill half of `b`; returns its completion time.
sc_time AcceleratorTop::load(Buffer& b, std::uint64_t addr, std::uint64_t bits) {
  std::size_t bytes = bytes_of(bits);
  scratch_.resize(bytes);
  sc_time done = port.issue_read(addr, bytes, scratch_.data());
  b.load_bytes(b.fill_half(), scratch_.data(), bytes);
  return done;
}

// Loads a tile needs that the previous tile did not leave in the buffers; they land in
// the fill halves, which become compute halves at the tile boundary (swap_for).
sc_time AcceleratorTop::issue_loads(LayerRun& r, const Tile& t, const Tile* prev) {
  sc_time ready = sc_core::sc_time_stamp();
  if (!prev || LayerRun::act_key(t) != LayerRun::act_key(*prev)) {
    r.act_dram += act_tile_bits(r.l, t);
    ready = std::max(ready, load(r.buf.abuf, r.img.act_addr(t, r.m), act_tile_bits(r.l, t)));
  }
  if (!prev || LayerRun::wgt_key(t) != LayerRun::wgt_key(*prev)) {
    r.wgt_dram += wgt_tile_bits(r.l, t);
    ready = std::max(ready, load(r.buf.wbuf, r.img.wgt_addr(t, r.m), wgt_tile_bits(r.l, t)));
  }
  if ((!prev || LayerRun::out_key(t) != LayerRun::out_key(*prev)) &&
      r.out_written.count(LayerRun::out_key(t))) {
    r.out_rd += out_tile_bits(t, r.ps);
    ready = std::max(ready, load(r.buf.obuf, r.img.out_addr(t, r.m), out_tile_bits(t, r.ps)));
  }
  return ready;
}

void AcceleratorTop::swap_for(LayerRun& r, const Tile& t, const Tile* prev) {
  if (!prev || LayerRun::act_key(t) != LayerRun::act_key(*prev)) r.buf.abuf.swap();
  if (!prev || LayerRun::wgt_key(t) != LayerRun::wgt_key(*prev)) r.buf.wbuf.swap();
}

// Computes one tile on the engine (and on the other engine with cross_check, which must
// agree on cycles and outputs) and advances SystemC time by its cycles.
void AcceleratorTop::compute(LayerRun& r, const Tile& cur, OutTile& out, const CycleHook& hook,
                             std::int64_t i, LayerSimStats& st) {
  std::unique_ptr<Buffers> before;
  OutTile out_before = out;
  if (other_) before = std::make_unique<Buffers>(r.buf);
  TileActivity a = compute_tile(*engine_, r.fmt, cur, r.buf, out, hook);
  if (other_) {
    TileActivity b = compute_tile(*other_, r.fmt, cur, *before, out_before);
    bool same = true;
    const Half h = r.buf.obuf.compute_half();
    for (std::int64_t w = 0; w * 32 < std::int64_t(out_tile_bits(cur, r.ps)); ++w)
      same = same && r.buf.obuf.peek(h, w) == before->obuf.peek(h, w);
    if (b.cycles != a.cycles || !same)
      throw std::runtime_error("engines disagree on " + st.name + " tile " + std::to_string(i) +
                               ": " + std::to_string(a.cycles) + " vs " + std::to_string(b.cycles) +
                               " cycles" + (same ? "" : ", different outputs"));
    ++st.cross_checked_tiles;
  }
  if (opt_.skip_idle) sc_core::wait(double(a.cycles) * period_);
  r.compute += std::int64_t(a.cycles);
  r.sum.abuf_read_bits += a.abuf_read_bits;
  r.sum.wbuf_read_bits += a.wbuf_read_bits;
  r.sum.obuf_read_bits += a.obuf_read_bits;
  r.sum.obuf_write_bits += a.obuf_write_bits;
  r.sum.macs += a.macs;
}

// The tile loop: every tile computes while the next one's operands load, finished output
// tiles are written back from the drain half.
void AcceleratorTop::run_tiles(LayerRun& r, LayerSimStats& st, const sc_time& t0) {
  OutTile out;
  Tile cur = r.tile_of(0);
  wait_until(issue_loads(r, cur, nullptr), "the first tile's operands");
  swap_for(r, cur, nullptr);
  out.reset(cur, r.ps, false);
  sc_time store_done = sc_core::sc_time_stamp();
  CycleHook hook;
  if (!opt_.skip_idle) hook = CycleHook{&AcceleratorTop::tick, this};
  std::int64_t next_report = r.total / 10;
  for (std::int64_t i = 0; i < r.total; ++i) {
    sig_tile.write(int(i));
    const bool last = i + 1 == r.total;
    Tile next = last ? cur : r.tile_of(i + 1);
    // Double buffering: the next tile's operands load while this one computes.
    sc_time next_ready = last ? sc_core::sc_time_stamp() : issue_loads(r, next, &cur);
    sig_state.write(1);
    compute(r, cur, out, hook, i, st);
    if (last || LayerRun::out_key(next) != LayerRun::out_key(cur)) {
      // The finished output tile moves to the drain half (once the previous write-back
      // has left it) and streams to DRAM; the next tile's partial sums, if it had any,
      // arrived in the other half and become the compute half.
      wait_until(store_done, "the previous output tile's write-back");
      r.buf.obuf.swap();
      const std::uint64_t bits = out_tile_bits(cur, r.ps);
      drain_.resize(bytes_of(bits));
      r.buf.obuf.store_bytes(r.buf.obuf.fill_half(), drain_.data(), drain_.size());
      r.out_written[LayerRun::out_key(cur)] = true;
      r.out_wr += bits;
      store_done = port.issue_write(r.img.out_addr(cur, r.m), drain_.data(), drain_.size());
      if (!last) out.reset(next, r.ps, r.out_written.count(LayerRun::out_key(next)) > 0);
    }
    if (!last) {
      wait_until(next_ready, "the next tile's operands");
      swap_for(r, next, &cur);
    }
    cur = next;
    if (opt_.progress && r.total >= 10 && i + 1 >= next_report) {
      opt_.progress(st.name + ": " + std::to_string((i + 1) * 100 / r.total) + "% of " +
                    std::to_string(r.total) + " tiles, " + std::to_string(cycles_since(t0)) +
                    " cycles");
      next_report += r.total / 10;
    }
  }
  wait_until(store_done, "the last output tile's write-back");
  sig_state.write(0);
}

// The outputs as the host reads them back from DRAM.
std::vector<std::int32_t> AcceleratorTop::read_outputs(LayerRun& r) {
  const model::Layer& l = r.l;
  const int oh = l.oh(), ow = l.ow();
  std::vector<std::int32_t> result(std::size_t(l.n) * l.oc * oh * ow, 0);
  for (std::int64_t i = 0; i < r.total; ++i) {
    Tile t = r.tile_of(i);
    if (t.ic0 != 0) continue;
    drain_.resize(bytes_of(out_tile_bits(t, r.ps)));
    port.debug_read(r.img.out_addr(t, r.m), drain_.size(), drain_.data());
    for (int o = 0; o < t.oc; ++o)
      for (int n = 0; n < t.n; ++n)
        for (int y = 0; y < t.oh; ++y)
          for (int x = 0; x < t.ow; ++x) {
            int og = t.group * l.ocg() + t.oc0 + o;
            result[((std::size_t(t.n0 + n) * l.oc + og) * oh + t.oh0 + y) * ow + t.ow0 + x] =
                out_tile_value(drain_.data(), t, r.ps, o, n, y, x);
          }
  }
  return result;
}

// Cycles, traffic (as the estimator counts it), energy and utilization of the run.
void AcceleratorTop::account(const LayerRun& r, LayerSimStats& st, const sc_time& t0,
                             const DramStats& dram0) {
  auto banks = [](const Buffer& b) {
    return BankCounts{b.banks(), b.bank_reads(), b.bank_writes()};
  };
  st.abuf_banks = banks(r.buf.abuf);
  st.wbuf_banks = banks(r.buf.wbuf);
  st.obuf_banks = banks(r.buf.obuf);
  st.tiles = r.total;
  st.cycles = cycles_since(t0);
  st.compute_cycles = r.compute;
  st.stall_cycles = st.cycles - r.compute;
  st.latency_s = double(st.cycles) / accel_.clock_hz;
  const DramStats& ds = dram.stats();
  auto& tr = st.traffic;
  tr.abuf_read = double(r.sum.abuf_read_bits);
  tr.abuf_write = double(r.act_dram);
  tr.wbuf_read = double(r.sum.wbuf_read_bits);
  tr.wbuf_write = double(r.wgt_dram);
  // Reloaded partial sums are written by the DMA and read by the array's first
  // accumulation (counted in obuf_read_bits); finished tiles are read by the drain.
  tr.obuf_read = double(r.sum.obuf_read_bits + r.out_wr);
  tr.obuf_write = double(r.sum.obuf_write_bits + r.out_rd);
  // DRAM moves whole bytes.
  tr.dram_read = double(ds.bits_read - dram0.bits_read);
  tr.dram_write = double(ds.bits_written - dram0.bits_written);
  constexpr double kPJ = 1e-12;
  const double pf = model::macs_per_fusion_unit(r.l.a_bits, r.l.w_bits);
  auto& e = st.energy;
  e.pe = double(r.sum.macs) / pf * k_.e_fu * kPJ;
  e.abuf = (tr.abuf_read * k_.abuf_r + tr.abuf_write * k_.abuf_w) * kPJ;
  e.wbuf = (tr.wbuf_read * k_.wbuf_r + tr.wbuf_write * k_.wbuf_w) * kPJ;
  e.obuf = (tr.obuf_read * k_.obuf_r + tr.obuf_write * k_.obuf_w) * kPJ;
  e.dram = (tr.dram_read + tr.dram_write) * k_.dram * kPJ;
  e.leak = k_.leak_w * st.latency_s;
  st.energy_j = e.total();
  double peak = double(accel_.fusion_units()) * pf;
  st.utilization = st.cycles > 0 ? double(r.l.macs()) / (double(st.cycles) * peak) : 0;
}

// Compares the outputs with the reference convolution; names the first wrong one.
void check_outputs(const LayerRun& r, const std::vector<std::int32_t>& result, LayerSimStats& st) {
  const model::Layer& l = r.l;
  const int oh = l.oh(), ow = l.ow();
  auto ref = reference_conv(r.data);
  st.outputs = std::int64_t(ref.size());
  for (std::size_t i = 0; i < ref.size(); ++i)
    if (ref[i] != result[i]) {
      if (st.mismatches++ == 0) {
        std::size_t x = i % ow, y = i / ow % oh, o = i / (std::size_t(ow) * oh) % l.oc,
                    n = i / (std::size_t(ow) * oh * l.oc);
        std::ostringstream s;
        s << "n=" << n << " oc=" << o << " y=" << y << " x=" << x << ": simulated " << result[i]
          << ", reference " << ref[i];
        st.first_mismatch = s.str();
      }
    }
}

LayerSimStats AcceleratorTop::run_layer(const Job& job, int index) {
  LayerSimStats st;
  st.name = job.layer.name.empty() ? "layer" + std::to_string(index) : job.layer.name;
  LayerRun r(job, index, opt_, tech_, accel_);
  put_operands(r);
  engine_->reset();
  if (other_) other_->reset();
  const sc_time t0 = sc_core::sc_time_stamp();
  const DramStats dram0 = dram.stats();
  run_tiles(r, st, t0);
  const std::vector<std::int32_t> result = read_outputs(r);
  account(r, st, t0, dram0);
  if (opt_.check_outputs) check_outputs(r, result, st);
  if (opt_.progress)
    opt_.progress(
        st.name + ": done, " + std::to_string(st.cycles) + " cycles (" +
        std::to_string(st.stall_cycles) + " stalled)" +
        (opt_.check_outputs ? (st.mismatches ? ", OUTPUTS WRONG" : ", outputs bit-exact") : ""));
  return st;
}

} // namespace

namespace {

void report_to_stderr(const sc_core::sc_report& r, const sc_core::sc_actions& a) {
  if (a & sc_core::SC_DISPLAY) std::cerr << sc_core::sc_report_compose_message(r) << std::endl;
  sc_core::sc_report_handler::default_handler(r, a & ~sc_core::SC_DISPLAY);
}

} // namespace

SimStats simulate(const model::Network& net, const model::Accelerator& accel,
                  const std::vector<model::Mapping>& mappings, const model::Tech& tech,
                  const SimOptions& opt) {
  if (mappings.size() != net.layers.size())
    throw model::SpecError("mapping", "has " + std::to_string(mappings.size()) + " entries for " +
                                          std::to_string(net.layers.size()) + " layers");
  std::vector<Job> jobs;
  for (std::size_t i = 0; i < net.layers.size(); ++i) {
    const std::string where = "mappings[" + std::to_string(i) + "].";
    model::validate(mappings[i], net.layers[i], where);
    model::Cost c = model::estimate(net.layers[i], accel, mappings[i], tech);
    if (!c.feasible)
      throw model::SpecError(where.substr(0, where.size() - 1),
                             "does not fit the buffers: " + c.infeasible_reason);
    jobs.push_back({net.layers[i], mappings[i]});
  }
  // SystemC's messages go to stderr: stdout is the caller's (simulate --json).
  sc_core::sc_report_handler::set_handler(report_to_stderr);
  // sc_stop() at the end is expected, not news.
  sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO,
                                          sc_core::SC_DO_NOTHING);
  auto w0 = std::chrono::steady_clock::now();
  AcceleratorTop top("accelerator", accel, tech, std::move(jobs), opt);
  sc_core::sc_trace_file* tf = nullptr;
  if (!opt.trace_path.empty()) {
    std::string base = opt.trace_path;
    if (base.size() > 4 && base.substr(base.size() - 4) == ".vcd")
      base = base.substr(0, base.size() - 4);
    tf = sc_core::sc_create_vcd_trace_file(base.c_str());
    tf->set_time_unit(1, sc_core::SC_NS);
    top.trace(tf);
  }
  sc_core::sc_start();
  if (tf) sc_core::sc_close_vcd_trace_file(tf);
  if (top.error) std::rethrow_exception(top.error);
  SimStats s;
  s.engine = opt.engine;
  s.layers = top.results;
  for (const auto& l : s.layers) {
    s.cycles += l.cycles;
    s.latency_s += l.latency_s;
    s.energy_j += l.energy_j;
  }
  s.area_mm2 = model::area_mm2(accel, tech);
  s.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count();
  return s;
}

} // namespace brickyard::sysc
