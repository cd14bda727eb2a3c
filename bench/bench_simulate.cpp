// End-to-end simulation speed (issue 5): the JAQ Table 2 layer (about 1.5 M cycles) on a
// 16x16 WS array with the native engine, goal under 10 s; reports simulated cycles per
// second against SCALE-Sim's ~13,000 cycles/s (Python) and the estimator's prediction.
#include <cstdio>
#include <cstdlib>

#include "model/estimator.hpp"
#include "model/json_io.hpp"
#include "model/mapper.hpp"
#include "model/spec.hpp"
#include "sysc/simulate.hpp"

extern "C" int sc_main(int, char**) {
  return 0;
}

int main() {
  setenv("SC_COPYRIGHT_MESSAGE", "DISABLE", 1);
  using namespace brickyard;
  auto tech = model::load_tech("45nm");
  model::Network net;
  net.name = "jaq_table2";
  net.layers.push_back(model::parse_layer_spec("k=5,s=1,oh=7,ow=7,ic=552,oc=552,ab=8,wb=8"));
  auto a = model::parse_accel_spec("pe=16x16,abuf=384K,wbuf=384K,obuf=384K,dataflow=ws");
  auto best = model::map_layer(net.layers[0], a, tech);
  sysc::SimOptions opt;
  opt.check_outputs = false; // time the simulator, not the reference convolution
  auto s = sysc::simulate(net, a, {best.mapping}, tech, opt);
  const auto& l = s.layers[0];
  double rate = double(s.cycles) / s.wall_seconds;
  std::printf("JAQ Table 2 layer, native engine, 16x16 WS: %lld cycles (estimator %lld, %+.3f%%) "
              "simulated in %.2f s = %.0f cycles/s  [goal < 10 s: %s]\n",
              (long long)l.cycles, (long long)best.cost.cycles,
              100.0 * double(best.cost.cycles - l.cycles) / double(l.cycles), s.wall_seconds, rate,
              s.wall_seconds < 10 ? "PASS" : "MISS");
  std::printf("  %.0fx SCALE-Sim's ~13,000 cycles/s\n", rate / 13000.0);
  return 0;
}
