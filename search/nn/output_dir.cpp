#include "search/nn/output_dir.hpp"

#include <unistd.h>

#include <fstream>

#include "model/error.hpp"

namespace brickyard::search {

namespace fs = std::filesystem;
using model::SpecError;

OutputDir::OutputDir(const std::string& dir, bool force) : force_(force) {
  if (dir.empty()) throw SpecError("out", "missing (--out DIR)");
  dest_ = fs::absolute(dir).lexically_normal();
  if (dest_.filename().empty()) dest_ = dest_.parent_path();
  std::error_code ec;
  if (fs::exists(dest_, ec) && !force)
    throw SpecError("out", "'" + dest_.string() + "' exists (--force replaces it)");
  const fs::path parent = dest_.parent_path();
  fs::create_directories(parent, ec);
  if (!fs::is_directory(parent)) throw SpecError("out", "cannot create '" + parent.string() + "'");
  std::string tmpl = (parent / ("." + dest_.filename().string() + ".partial-XXXXXX")).string();
  if (!mkdtemp(tmpl.data())) throw SpecError("out", "cannot write into '" + parent.string() + "'");
  tmp_ = tmpl;
}

OutputDir::~OutputDir() {
  if (committed_) return;
  std::error_code ec;
  fs::remove_all(tmp_, ec);
}

void OutputDir::write(const std::string& name, const std::string& text) const {
  const fs::path p = tmp_ / name;
  fs::path t = p;
  t += ".tmp";
  {
    std::ofstream f(t, std::ios::binary);
    f << text;
    if (!f) throw SpecError("out", "cannot write '" + t.string() + "'");
  }
  fs::rename(t, p);
}

void OutputDir::commit() {
  std::error_code ec;
  if (fs::exists(dest_, ec)) {
    if (!force_) throw SpecError("out", "'" + dest_.string() + "' appeared meanwhile");
    fs::remove_all(dest_, ec);
    if (ec) throw SpecError("out", "cannot replace '" + dest_.string() + "': " + ec.message());
  }
  fs::rename(tmp_, dest_, ec);
  if (ec) throw SpecError("out", "cannot create '" + dest_.string() + "': " + ec.message());
  committed_ = true;
}

} // namespace brickyard::search
