#include "sysc/worker.hpp"

#include <cstdlib>
#include <iostream>

#include "model/error.hpp"
#include "model/json_io.hpp"
#include "model/tech.hpp"
#include "sysc/engine.hpp"
#include "sysc/sim_json.hpp"

namespace brickyard::sysc {

int run_worker(const std::string& job_path, const std::string& result_path) {
  try {
    const SimJob job = sim_job_from_json(model::read_json_file(job_path, "job"));
    if (!job.rtl_model.empty()) {
      if (job.options.engine != Engine::Rtl) throw model::SpecError("rtl-model", "needs engine rtl");
      check_rtl_model(job.rtl_model, job.accel);
    }
    const model::Tech tech = model::load_tech(job.accel.tech);
    setenv("SC_COPYRIGHT_MESSAGE", "DISABLE", 1);
    const SimStats s = simulate(job.network, job.accel, job.mappings, tech, job.options);
    model::write_json_file(result_path, to_json(s));
    return 0;
  } catch (const model::SpecError& e) {
    std::cerr << "brickyard-sim: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "brickyard-sim: " << e.what() << "\n";
    return 1;
  }
}

} // namespace brickyard::sysc
