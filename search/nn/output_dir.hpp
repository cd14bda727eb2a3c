#pragma once
// An all-or-nothing output directory (docs/design.md: nothing half-written): files are written
// into a sibling temp directory that commit() renames to the destination; an uncommitted
// OutputDir removes its temp directory. An existing destination is an error
// (SpecError("out")) unless `force`, which replaces it at commit().
#include <filesystem>
#include <string>

namespace brickyard::search {

class OutputDir {
public:
  OutputDir(const std::string& dir, bool force);
  ~OutputDir();
  OutputDir(const OutputDir&) = delete;
  OutputDir& operator=(const OutputDir&) = delete;

  const std::filesystem::path& path() const { return tmp_; } // write here
  const std::filesystem::path& destination() const { return dest_; }
  void commit();
  // Writes text to path()/name atomically.
  void write(const std::string& name, const std::string& text) const;

private:
  std::filesystem::path dest_, tmp_;
  bool force_ = false, committed_ = false;
};

} // namespace brickyard::search
