// RtlEngine: the Verilated rtl/pe_array (one port list, DATAFLOW chosen at elaboration)
// behind the ArrayEngine interface, for the shapes sysc/rtl_models.cmake compiles. The
// generated rtl_engine_models.hpp includes their headers and lists them as
// X(dataflow, rows, cols, class); the registry below maps (dataflow, rows, cols) to a
// factory.
//
// Driving the model as tests/rtl/test_pe_array.cpp does: set the inputs, clk = 0 and
// eval (outputs of the cycle readable), clk = 1 and eval (the rising edge).
#include "rtl_engine_models.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <mutex>

#include "model/error.hpp"
#include "sysc/engine_impl.hpp"
#ifdef BRICKYARD_RTL_ENGINE_HAVE_MODELS
#include "sysc/rtl_engine.hpp"
#endif

namespace brickyard::sysc::detail {
namespace {

using model::Dataflow;

struct RtlModel {
  Dataflow df;
  int rows, cols;
  std::unique_ptr<ArrayEngine> (*make)();
};

#ifdef BRICKYARD_RTL_ENGINE_HAVE_MODELS

#define BRICKYARD_RTL_ENGINE_ENTRY(DF, R, C, CLASS)                                                \
  RtlModel{Dataflow::DF, R, C, []() -> std::unique_ptr<ArrayEngine> {                              \
             return std::make_unique<RtlEngine<CLASS>>(Dataflow::DF, R, C);                        \
           }},

const std::vector<RtlModel>& builtin() {
  static const std::vector<RtlModel> models = {
      BRICKYARD_RTL_ENGINE_MODELS(BRICKYARD_RTL_ENGINE_ENTRY)};
  return models;
}

#else

const std::vector<RtlModel>& builtin() {
  static const std::vector<RtlModel> models;
  return models;
}

#endif

// Models loaded at run time (load_rtl_model); searched before the built-in ones.
std::vector<RtlModel>& loaded() {
  static std::vector<RtlModel> models;
  return models;
}

std::vector<RtlModel> registry() {
  std::vector<RtlModel> all = loaded();
  all.insert(all.end(), builtin().begin(), builtin().end());
  return all;
}

} // namespace

std::unique_ptr<ArrayEngine> make_rtl_engine(Dataflow df, int rows, int cols) {
  for (const RtlModel& m : registry())
    if (m.df == df && m.rows == rows && m.cols == cols) return m.make();
  return nullptr;
}

std::vector<std::string> rtl_shapes() {
  std::vector<std::string> s;
  for (const RtlModel& m : registry())
    s.push_back(std::string(model::to_string(m.df)) + " " + std::to_string(m.rows) + "x" +
                std::to_string(m.cols));
  return s;
}

} // namespace brickyard::sysc::detail

namespace brickyard::sysc {

RtlModelInfo load_rtl_model(const std::string& path) {
  // The library stays loaded for the life of the process (its engines may outlive any scope).
  void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!h) throw model::SpecError("rtl-model", std::string("cannot load: ") + dlerror());
  using Describe = const RtlModelExport* (*)();
  auto describe = reinterpret_cast<Describe>(dlsym(h, "brickyard_rtl_model"));
  if (!describe)
    throw model::SpecError("rtl-model", "'" + path +
                                            "' has no brickyard_rtl_model() (not built by "
                                            "brickyard export-rtl --verify?)");
  const RtlModelExport* e = describe();
  if (e->abi != kRtlModelAbi)
    throw model::SpecError("rtl-model", "'" + path + "' was built for another brickyard version");
  if (e->dataflow < 0 || e->dataflow > 2 || e->rows < 3 || e->rows > 64 || e->cols < 3 ||
      e->cols > 64)
    throw model::SpecError("rtl-model", "'" + path + "' describes an array outside 3..64");
  RtlModelInfo info{static_cast<model::Dataflow>(e->dataflow), e->rows, e->cols, e->name};
  detail::loaded().insert(detail::loaded().begin(),
                          detail::RtlModel{info.dataflow, info.rows, info.cols, e->make});
  return info;
}

} // namespace brickyard::sysc
