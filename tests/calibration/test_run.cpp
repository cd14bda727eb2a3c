// run_groups(): a worker that crashes or fails is reported with its group's point ids and
// its last stderr line, never a silent hole; the other groups still deliver their rows.
#include <catch2/catch.hpp>

#include "calibration/run.hpp"
#include "model/json_io.hpp"

using namespace brickyard;

namespace {
std::vector<calibration::Group> two_groups() {
  calibration::SamplerOptions o;
  o.points = 8;
  o.mappings_per_group = 4;
  return calibration::sample(o, model::load_tech("45nm"));
}
} // namespace

TEST_CASE("run: a crashing worker is reported with its point ids", "[calibration]") {
  auto groups = two_groups();
  REQUIRE(groups.size() == 2);
  calibration::RunOptions opt;
  // The "worker" kills itself with SIGSEGV; run_groups appends IN OUT as $1 $2.
  opt.worker_command = {"/bin/sh", "-c", "echo about to crash >&2; kill -SEGV $$", "sh"};
  int delivered = 0;
  auto failures = calibration::run_groups(groups, opt, [&](auto) { ++delivered; });
  CHECK(delivered == 0);
  REQUIRE(failures.size() == 2);
  for (const auto& f : failures) {
    INFO(f.reason);
    CHECK(f.last_point - f.first_point == 3);
    CHECK_THAT(f.reason, Catch::Contains("killed by signal"));
    CHECK_THAT(f.reason, Catch::Contains("about to crash"));
  }
  CHECK(((failures[0].first_point == 0 && failures[1].first_point == 4) ||
         (failures[0].first_point == 4 && failures[1].first_point == 0)));
}

TEST_CASE("run: a worker that writes no result is reported", "[calibration]") {
  auto groups = two_groups();
  calibration::RunOptions opt;
  opt.worker_command = {"/bin/sh", "-c", "exit 0", "sh"}; // success status, no output file
  auto failures = calibration::run_groups(groups, opt, [](auto) {});
  REQUIRE(failures.size() == 2);
  CHECK_THAT(failures[0].reason, Catch::Contains("unreadable worker result"));
}
