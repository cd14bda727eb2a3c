#pragma once
// Small file helpers shared by the job pool and its users.
#include <filesystem>
#include <string>

namespace brickyard::jobs {

// A fresh directory under the system temp directory, removed with its contents.
class TempDir {
public:
  explicit TempDir(const std::string& prefix = "brickyard");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

private:
  std::filesystem::path path_;
};

// The whole file ("" if it cannot be read).
std::string slurp(const std::filesystem::path& p);

// The last non-empty line of a text, without its newline.
std::string last_line(const std::string& s);

} // namespace brickyard::jobs
