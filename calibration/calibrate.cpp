#include "calibration/calibrate.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "model/error.hpp"

namespace brickyard::calibration {

namespace fs = std::filesystem;
using model::SpecError;

std::string sibling_path(const std::string& out_path, const std::string& ext) {
  fs::path p(out_path);
  p.replace_extension(ext);
  return p.string();
}

namespace {

// Append-only CSV journal: each finished row is written with one write(2), so a killed
// run leaves whole rows and at most one partial last line.
class Journal {
public:
  Journal(const std::string& path, bool fresh, std::uint64_t keep_bytes) : path_(path) {
    int flags = O_WRONLY | O_CREAT | (fresh ? O_TRUNC : 0);
    fd_ = ::open(path.c_str(), flags, 0644);
    if (fd_ < 0) throw SpecError("csv", "cannot write '" + path + "': " + std::strerror(errno));
    if (fresh || keep_bytes == 0) {
      if (::ftruncate(fd_, 0) != 0) fail();
      put(csv_header() + "\n");
    } else if (::ftruncate(fd_, off_t(keep_bytes)) != 0) { // drop a partial last line
      fail();
    }
    if (::lseek(fd_, 0, SEEK_END) < 0) fail();
  }
  ~Journal() {
    if (fd_ >= 0) ::close(fd_);
  }
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;
  void put(const std::string& s) {
    const char* p = s.data();
    std::size_t left = s.size();
    while (left > 0) {
      ssize_t n = ::write(fd_, p, left);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) fail();
      p += n;
      left -= std::size_t(n);
    }
  }

private:
  [[noreturn]] void fail() {
    throw std::runtime_error("writing '" + path_ + "': " + std::strerror(errno));
  }
  std::string path_;
  int fd_ = -1;
};

std::string failures_text(const std::vector<Failure>& fs) {
  std::string s;
  for (const auto& f : fs) {
    std::string reason = f.reason;
    std::replace(reason.begin(), reason.end(), '\n', ' ');
    s += std::to_string(f.group) + "\t" + std::to_string(f.first_point) + "\t" +
         std::to_string(f.last_point) + "\t" + reason + "\n";
  }
  return s;
}

std::vector<Failure> parse_failures(const std::string& text) {
  std::vector<Failure> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    Failure f;
    std::istringstream l(line);
    std::string a, b, c;
    std::getline(l, a, '\t');
    std::getline(l, b, '\t');
    std::getline(l, c, '\t');
    std::getline(l, f.reason);
    f.group = std::stoi(a);
    f.first_point = std::stoi(b);
    f.last_point = std::stoi(c);
    out.push_back(f);
  }
  return out;
}

} // namespace

CalibrateResult calibrate(const CalibrateOptions& opt, const MpiSession& mpi) {
  auto log = [&](const std::string& s) {
    if (opt.log) opt.log(mpi.size() > 1 ? "[rank " + std::to_string(mpi.rank()) + "] " + s : s);
  };
  CalibrateResult res;
  res.csv_path = opt.csv_path.empty() ? sibling_path(opt.out_path, ".csv") : opt.csv_path;
  const model::Tech tech = model::load_tech(model::Accelerator{}.tech);
  const std::vector<Group> groups = sample(opt.sampler, tech);
  std::vector<Record> expected; // every point of this run, by id
  for (const auto& g : groups)
    for (auto& r : records_of(g, opt.run.engine)) expected.push_back(r);
  res.points = int(expected.size());

  // Resume: points already in the CSV (or this rank's journal) are not simulated again,
  // provided they are the same points (same --points/--seed/--engine/...).
  const std::string journal_path =
      mpi.rank() == 0 ? res.csv_path : res.csv_path + ".rank" + std::to_string(mpi.rank());
  std::map<int, Record> known;
  std::uint64_t keep_bytes = 0;
  if (opt.resume) {
    for (const std::string& path : {res.csv_path, journal_path}) {
      if (!fs::exists(path)) continue;
      CsvContents c = read_csv(path, "resume");
      if (path == journal_path) keep_bytes = c.complete_bytes;
      for (auto& r : c.rows) {
        if (r.point < 0 || r.point >= res.points ||
            csv_key(r) != csv_key(expected[std::size_t(r.point)]))
          throw SpecError("resume", "'" + path + "' has point " + std::to_string(r.point) +
                                        " of a different run (other --points, --seed, "
                                        "--engine or --mappings)");
        known[r.point] = r;
      }
    }
  }
  mpi.barrier(); // every rank has read the CSV before rank 0 appends to it
  Journal journal(journal_path, !opt.resume, keep_bytes);

  std::vector<Group> todo;
  std::vector<Record> mine; // this rank's share, resumed or simulated
  for (const auto& g : groups) {
    if (g.id % mpi.size() != mpi.rank()) continue;
    bool all_known = true;
    for (std::size_t j = 0; j < g.mappings.size(); ++j) {
      auto it = known.find(g.first_point() + int(j));
      if (it == known.end()) all_known = false;
    }
    if (all_known) {
      for (std::size_t j = 0; j < g.mappings.size(); ++j)
        mine.push_back(known[g.first_point() + int(j)]);
      res.resumed += int(g.mappings.size());
    } else {
      todo.push_back(g);
    }
  }
  log(std::to_string(res.points) + " points in " + std::to_string(groups.size()) + " groups; " +
      (res.resumed ? std::to_string(res.resumed) + " resumed from the CSV, " : "") +
      std::to_string(todo.size()) + " groups to simulate");
  RunOptions ro = opt.run;
  ro.progress = [&](const std::string& s) { log(s); };
  std::vector<Failure> failures = run_groups(todo, ro, [&](std::vector<Record> recs) {
    std::string rows;
    for (const auto& r : recs) rows += to_csv_row(r) + "\n";
    journal.put(rows);
    res.simulated += int(recs.size());
    for (auto& r : recs) mine.push_back(std::move(r));
  });

  // Rank 0 merges every rank's rows (and failures), sorted by point id.
  std::string rows;
  for (const auto& r : mine) rows += to_csv_row(r) + "\n";
  std::vector<std::string> all_rows = mpi.gather(rows);
  std::vector<std::string> all_fail = mpi.gather(failures_text(failures));
  if (mpi.rank() != 0) {
    mpi.barrier(); // rank 0 has written the merged CSV
    std::error_code ec;
    fs::remove(journal_path, ec);
    return res;
  }
  std::map<int, std::string> merged;
  for (const auto& [id, r] : known) merged[id] = to_csv_row(r);
  for (const auto& text : all_rows) {
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
      int id = std::stoi(line.substr(0, line.find(',')));
      merged[id] = line;
    }
  }
  for (const auto& t : all_fail)
    for (auto& f : parse_failures(t)) res.failures.push_back(f);
  std::sort(res.failures.begin(), res.failures.end(),
            [](const Failure& a, const Failure& b) { return a.group < b.group; });
  {
    std::vector<Record> sorted;
    int line_no = 1;
    for (const auto& [id, line] : merged) sorted.push_back(parse_csv_row(line, "csv", ++line_no));
    write_csv(res.csv_path, sorted);
  }
  mpi.barrier();

  // Fit from the file's rows, so one process and N ranks see the same numbers.
  std::vector<Record> recs = read_csv(res.csv_path, "csv").rows;
  std::vector<Record> train;
  for (const auto& r : recs)
    if (!r.test) train.push_back(r);
  res.fitted = fit(train, opt.start, tech);
  // The file stores rounded coefficients; report the errors of what is stored.
  model::json j = report_json(res.fitted, opt.start, recs, opt, tech, res.failures);
  res.fitted = model::calibration_from_json(j);
  auto test = [](const Record& r) { return r.test; };
  res.before = evaluate(recs, opt.start, tech, test);
  res.after = evaluate(recs, res.fitted, tech, test);
  model::write_json_file(opt.out_path, j);
  res.wrote = true;
  if (opt.plot_path != "-")
    res.plot_note = plot(opt.plot_path.empty() ? sibling_path(opt.out_path, ".png") : opt.plot_path,
                         recs, opt.start, res.fitted, tech);
  return res;
}

} // namespace brickyard::calibration
