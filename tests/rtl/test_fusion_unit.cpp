// Verilated fusion_unit against an integer reference, sum_k a_k * w_k, for all 9 precision
// pairs (A, W in {2, 4, 8}) x 4 signedness combinations: corner vectors (min, max,
// alternating, zeros, one nonzero lane at each k, each also with garbage in the unused upper
// bits) and kRandomVectors seeded random vectors. Every vector of an 8-bit operand is also
// applied with precision code 3, which must behave as 8-bit. Stops at the first mismatch.
#include "Vrtl_fusion_unit.h"
#include "verilated.h"

#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <random>
#include <vector>

namespace {

constexpr int kRandomVectors = 10000;
constexpr std::uint32_t kSeed = 0xb1f05e;

struct Operand {
  int bits; // 2, 4 or 8
  bool sgn; // two's complement
  unsigned code() const { return bits == 2 ? 0u : bits == 4 ? 1u : 2u; }
  std::uint32_t mask() const { return (1u << bits) - 1u; }
  std::int64_t min() const { return sgn ? -(std::int64_t{1} << (bits - 1)) : 0; }
  std::int64_t max() const {
    return sgn ? (std::int64_t{1} << (bits - 1)) - 1 : (std::int64_t{1} << bits) - 1;
  }
  // Lane k of a packed word, decoded.
  std::int64_t lane(std::uint32_t word, int k) const {
    const std::uint32_t v = (word >> (k * bits)) & mask();
    const bool neg = sgn && ((v >> (bits - 1)) & 1u) != 0;
    return neg ? static_cast<std::int64_t>(v) - (std::int64_t{1} << bits)
               : static_cast<std::int64_t>(v);
  }
};

struct Config {
  Operand act;
  Operand wgt;
  int pf() const { return (8 / act.bits) * (8 / wgt.bits); }
  // Bits of a / w carrying lanes; bits above are ignored by the unit.
  int a_used() const { return pf() * act.bits; }
  int w_used() const { return pf() * wgt.bits; }
};

std::uint32_t low_mask(int nbits) {
  return nbits >= 32 ? ~0u : (1u << nbits) - 1u;
}

std::int64_t reference(const Config& cfg, std::uint32_t a, std::uint32_t w) {
  std::int64_t s = 0;
  for (int k = 0; k < cfg.pf(); ++k) s += cfg.act.lane(a, k) * cfg.wgt.lane(w, k);
  return s;
}

// Pack per-lane values (any integers, taken modulo 2^bits) LSB first.
std::uint32_t pack(const std::vector<std::int64_t>& lanes, int bits) {
  std::uint32_t word = 0;
  for (std::size_t k = 0; k < lanes.size(); ++k)
    word |= (static_cast<std::uint32_t>(lanes[k]) & ((1u << bits) - 1u)) << (k * bits);
  return word;
}

struct Vector {
  std::uint32_t a;
  std::uint32_t w;
};

// Corner vectors for one configuration, before the garbage variants.
std::vector<Vector> corners(const Config& cfg) {
  const int pf = cfg.pf();
  const Operand& A = cfg.act;
  const Operand& W = cfg.wgt;
  auto fill = [pf](std::int64_t even, std::int64_t odd) {
    std::vector<std::int64_t> v(pf);
    for (int k = 0; k < pf; ++k) v[k] = (k % 2 == 0) ? even : odd;
    return v;
  };
  std::vector<Vector> out;
  auto add = [&](const std::vector<std::int64_t>& av, const std::vector<std::int64_t>& wv) {
    out.push_back({pack(av, A.bits), pack(wv, W.bits)});
  };
  add(fill(0, 0), fill(0, 0));                         // zeros
  add(fill(A.min(), A.min()), fill(W.min(), W.min())); // all at the min
  add(fill(A.max(), A.max()), fill(W.max(), W.max())); // all at the max
  add(fill(A.min(), A.min()), fill(W.max(), W.max()));
  add(fill(A.max(), A.max()), fill(W.min(), W.min()));
  add(fill(A.min(), A.max()), fill(W.min(), W.max())); // alternating, same phase
  add(fill(A.min(), A.max()), fill(W.max(), W.min())); // alternating, opposite phase
  add(fill(A.max(), A.min()), fill(W.max(), W.min()));
  add(fill(-1, -1), fill(-1, -1));         // all ones
  add(fill(0, 0), fill(W.max(), W.min())); // zero activations only
  add(fill(A.max(), A.min()), fill(0, 0)); // zero weights only
  // A single nonzero lane at each k (lane value 1, min, max, all ones; min is 0 when
  // unsigned, so that case degenerates to zeros, which is harmless).
  const std::int64_t a_vals[] = {1, A.min(), A.max(), -1};
  const std::int64_t w_vals[] = {1, W.min(), W.max(), -1};
  for (int k = 0; k < pf; ++k) {
    for (std::int64_t av : a_vals) {
      for (std::int64_t wv : w_vals) {
        std::vector<std::int64_t> al(pf, 0);
        std::vector<std::int64_t> wl(pf, 0);
        al[k] = av;
        wl[k] = wv;
        add(al, wl);
      }
    }
  }
  return out;
}

class Dut {
public:
  Dut(int argc, char** argv) : ctx_(std::make_unique<VerilatedContext>()) {
    ctx_->commandArgs(argc, argv);
    top_ = std::make_unique<Vrtl_fusion_unit>(ctx_.get());
  }
  ~Dut() { top_->final(); }
  Dut(const Dut&) = delete;
  Dut& operator=(const Dut&) = delete;

  std::int64_t eval(unsigned a_prec, unsigned w_prec, bool as, bool ws, std::uint32_t a,
                    std::uint32_t w) {
    top_->a_prec = a_prec;
    top_->w_prec = w_prec;
    top_->a_signed = as;
    top_->w_signed = ws;
    top_->a = a;
    top_->w = w;
    top_->eval();
    return static_cast<std::int32_t>(top_->sum);
  }

private:
  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<Vrtl_fusion_unit> top_;
};

// Apply one vector under every precision encoding of cfg (code 3 aliases 8-bit). Returns
// the number of evaluations, or -1 after printing the first mismatch.
long check(Dut& dut, const Config& cfg, const Vector& v) {
  const std::int64_t expected = reference(cfg, v.a, v.w);
  std::vector<unsigned> a_codes{cfg.act.code()};
  std::vector<unsigned> w_codes{cfg.wgt.code()};
  if (cfg.act.bits == 8) a_codes.push_back(3);
  if (cfg.wgt.bits == 8) w_codes.push_back(3);
  long n = 0;
  for (unsigned ac : a_codes) {
    for (unsigned wc : w_codes) {
      const std::int64_t got = dut.eval(ac, wc, cfg.act.sgn, cfg.wgt.sgn, v.a, v.w);
      ++n;
      if (got != expected) {
        std::fprintf(stderr,
                     "fusion_unit mismatch: A=%d W=%d (a_prec=%u w_prec=%u) a_signed=%d "
                     "w_signed=%d a=0x%08" PRIx32 " w=0x%08" PRIx32 " expected %" PRId64
                     " got %" PRId64 "\n",
                     cfg.act.bits, cfg.wgt.bits, ac, wc, cfg.act.sgn ? 1 : 0, cfg.wgt.sgn ? 1 : 0,
                     v.a, v.w, expected, got);
        return -1;
      }
    }
  }
  return n;
}

} // namespace

int main(int argc, char** argv) {
  Dut dut(argc, argv);
  const int widths[] = {2, 4, 8};
  long total_vectors = 0;
  long total_evals = 0;
  std::printf("fusion_unit: %d random vectors per (pair, signedness), seed 0x%" PRIx32 "\n",
              kRandomVectors, kSeed);
  for (int ab : widths) {
    for (int wb : widths) {
      long pair_vectors = 0;
      long pair_evals = 0;
      long pair_corners = 0;
      for (int s = 0; s < 4; ++s) {
        const Config cfg{{ab, (s & 1) != 0}, {wb, (s & 2) != 0}};
        std::mt19937 rng(kSeed + static_cast<std::uint32_t>(ab * 100 + wb * 10 + s));
        std::vector<Vector> vecs;
        // Corners, as is and with the unused upper bits of a and w set to all ones and
        // to random garbage (the unit must ignore them).
        const std::uint32_t a_junk = ~low_mask(cfg.a_used());
        const std::uint32_t w_junk = ~low_mask(cfg.w_used());
        for (const Vector& v : corners(cfg)) {
          vecs.push_back(v);
          if (a_junk != 0 || w_junk != 0) {
            vecs.push_back({v.a | a_junk, v.w | w_junk});
            const std::uint32_t ga = static_cast<std::uint32_t>(rng()) & a_junk;
            const std::uint32_t gw = static_cast<std::uint32_t>(rng()) & w_junk;
            vecs.push_back({v.a | ga, v.w | gw});
          }
        }
        pair_corners += static_cast<long>(vecs.size());
        // Random: full 32-bit words, so the unused upper bits are random too.
        for (int i = 0; i < kRandomVectors; ++i) {
          const auto a = static_cast<std::uint32_t>(rng());
          const auto w = static_cast<std::uint32_t>(rng());
          vecs.push_back({a, w});
        }
        for (const Vector& v : vecs) {
          const long n = check(dut, cfg, v);
          if (n < 0) return 1;
          pair_evals += n;
        }
        pair_vectors += static_cast<long>(vecs.size());
      }
      std::printf("  A=%d W=%d (pf=%2d): %ld vectors (%ld corner + %d random, x4 signedness), "
                  "%ld evaluations incl. prec code 3\n",
                  ab, wb, (8 / ab) * (8 / wb), pair_vectors, pair_corners, 4 * kRandomVectors,
                  pair_evals);
      total_vectors += pair_vectors;
      total_evals += pair_evals;
    }
  }
  std::printf("fusion_unit: all %ld vectors (%ld evaluations) match\n", total_vectors, total_evals);
  return 0;
}
