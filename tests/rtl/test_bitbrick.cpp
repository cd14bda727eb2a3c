// Exhaustive check of the verilated bitbrick: all x, y in 0..3 and sx, sy in {0, 1}
// (64 cases) against an integer reference.
#include "Vrtl_bitbrick.h"
#include "verilated.h"

#include <cstdio>
#include <memory>

namespace {

// The 2-bit operand read as unsigned (0..3) or, when s is set, as signed (-2..1).
int decode2(unsigned v, bool s) {
  const int u = static_cast<int>(v & 3u);
  return (s && u >= 2) ? u - 4 : u;
}

// The 6-bit output port as a signed integer.
int decode6(unsigned v) {
  v &= 0x3fu;
  return (v & 0x20u) != 0 ? static_cast<int>(v) - 64 : static_cast<int>(v);
}

} // namespace

int main(int argc, char** argv) {
  auto ctx = std::make_unique<VerilatedContext>();
  ctx->commandArgs(argc, argv);
  auto top = std::make_unique<Vrtl_bitbrick>(ctx.get());

  int checked = 0;
  for (unsigned sx = 0; sx < 2; ++sx) {
    for (unsigned sy = 0; sy < 2; ++sy) {
      for (unsigned x = 0; x < 4; ++x) {
        for (unsigned y = 0; y < 4; ++y) {
          top->x = x;
          top->y = y;
          top->sx = sx;
          top->sy = sy;
          top->eval();
          const int expected = decode2(x, sx != 0) * decode2(y, sy != 0);
          const int got = decode6(top->p);
          if (got != expected) {
            std::fprintf(stderr, "bitbrick mismatch: x=%u y=%u sx=%u sy=%u: expected %d, got %d\n",
                         x, y, sx, sy, expected, got);
            top->final();
            return 1;
          }
          ++checked;
        }
      }
    }
  }
  top->final();
  std::printf("bitbrick: %d/64 cases match\n", checked);
  return checked == 64 ? 0 : 1;
}
