#include "calibration/run.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "model/error.hpp"
#include "model/json_io.hpp"
#include "sysc/simulate.hpp"

extern char** environ;

namespace brickyard::calibration {

namespace fs = std::filesystem;
using model::json;

namespace {

// Set by SIGINT/SIGTERM while run_groups() is active (a signal handler can only reach a
// static); run_groups() installs and restores the handlers.
volatile std::sig_atomic_t g_stop = 0;
extern "C" void on_stop_signal(int) {
  g_stop = 1;
}

struct SignalGuard {
  struct sigaction old_int {
  }, old_term{};
  SignalGuard() {
    g_stop = 0;
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
  }
  ~SignalGuard() {
    sigaction(SIGINT, &old_int, nullptr);
    sigaction(SIGTERM, &old_term, nullptr);
  }
};

struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "brickyard_calibrate_XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("cannot create a temp directory");
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string last_line(const std::string& s) {
  std::string t = s;
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) t.pop_back();
  auto p = t.rfind('\n');
  return p == std::string::npos ? t : t.substr(p + 1);
}

struct Child {
  pid_t pid = 0;
  std::size_t group = 0;
  std::chrono::steady_clock::time_point start;
  fs::path in, out, err;
};

} // namespace

std::vector<Failure> run_groups(const std::vector<Group>& groups, const RunOptions& opt,
                                const std::function<void(std::vector<Record>)>& done) {
  std::vector<Failure> failures;
  if (groups.empty()) return failures;
  if (opt.worker_command.empty()) throw std::logic_error("run_groups: no worker command");
  TempDir dir;
  SignalGuard guard;
  std::vector<Child> running;
  std::size_t next = 0;

  auto fail = [&](const Child& c, const std::string& why) {
    const Group& g = groups[c.group];
    Failure f{g.id, g.first_point(), g.first_point() + int(g.mappings.size()) - 1, why};
    failures.push_back(f);
    if (opt.progress)
      opt.progress("group " + std::to_string(g.id) + " (points " + std::to_string(f.first_point) +
                   ".." + std::to_string(f.last_point) + ") FAILED: " + why);
  };

  auto spawn = [&](std::size_t gi) {
    const Group& g = groups[gi];
    Child c;
    c.group = gi;
    std::string stem = "g" + std::to_string(g.id);
    c.in = dir.path / (stem + ".in.json");
    c.out = dir.path / (stem + ".out.json");
    c.err = dir.path / (stem + ".err");
    json mj = json::array();
    for (const auto& m : g.mappings) mj.push_back(model::to_json(m));
    json in = {{"group", g.id},
               {"engine", opt.engine},
               {"seed", opt.data_seed},
               {"layer", model::to_json(g.layer)},
               {"accelerator", model::to_json(g.accel)},
               {"mappings", mj}};
    model::write_json_file(c.in.string(), in);
    std::vector<std::string> args = opt.worker_command;
    args.push_back(c.in.string());
    args.push_back(c.out.string());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    std::string err = c.err.string();
    posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    int rc = posix_spawn(&c.pid, argv[0], &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    c.start = std::chrono::steady_clock::now();
    if (rc != 0) {
      fail(c, std::string("cannot start the worker: ") + std::strerror(rc));
      return;
    }
    running.push_back(c);
  };

  auto finish = [&](const Child& c, int status) {
    const Group& g = groups[c.group];
    std::string why;
    if (WIFSIGNALED(status)) {
      why = std::string("worker killed by signal ") + strsignal(WTERMSIG(status));
    } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      why = "worker exited with status " + std::to_string(WEXITSTATUS(status));
    }
    std::string err = last_line(slurp(c.err));
    if (!why.empty()) {
      fail(c, why + (err.empty() ? "" : ": " + err));
      return;
    }
    try {
      json r = json::parse(slurp(c.out));
      const json& layers = r.at("layers");
      if (layers.size() != g.mappings.size()) throw std::runtime_error("wrong number of results");
      std::vector<Record> recs = records_of(g, opt.engine);
      for (std::size_t j = 0; j < recs.size(); ++j) {
        const json& l = layers[j];
        Record& x = recs[j];
        x.cycles = l.at("cycles").get<std::int64_t>();
        x.compute_cycles = l.at("compute_cycles").get<std::int64_t>();
        x.stall_cycles = l.at("stall_cycles").get<std::int64_t>();
        x.tiles = l.at("tiles").get<std::int64_t>();
        x.energy_j = l.at("energy_j").get<double>();
        const json& b = l.at("breakdown");
        x.energy.pe = b.at("pe").get<double>();
        x.energy.abuf = b.at("abuf").get<double>();
        x.energy.wbuf = b.at("wbuf").get<double>();
        x.energy.obuf = b.at("obuf").get<double>();
        x.energy.dram = b.at("dram").get<double>();
        x.energy.leak = b.at("leak").get<double>();
      }
      const std::size_t n = recs.size();
      done(std::move(recs));
      if (opt.progress) {
        double s =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - c.start).count();
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.1f", s);
        opt.progress("group " + std::to_string(g.id) + " done (" + std::to_string(n) + " points, " +
                     buf + " s)");
      }
    } catch (const std::exception& e) {
      fail(c, std::string("unreadable worker result: ") + e.what());
    }
  };

  auto stop_all = [&]() {
    for (auto& c : running) kill(c.pid, SIGTERM);
    for (auto& c : running) {
      int st = 0;
      while (waitpid(c.pid, &st, 0) < 0 && errno == EINTR) {
      }
    }
    running.clear();
  };

  while (next < groups.size() || !running.empty()) {
    if (g_stop) {
      stop_all();
      throw Interrupted();
    }
    while (running.size() < std::size_t(std::max(1, opt.jobs)) && next < groups.size())
      spawn(next++);
    bool reaped = false;
    for (std::size_t i = 0; i < running.size();) {
      int st = 0;
      pid_t r = waitpid(running[i].pid, &st, WNOHANG);
      if (r == running[i].pid) {
        Child c = running[i];
        running.erase(running.begin() + std::ptrdiff_t(i));
        if (g_stop && WIFSIGNALED(st)) continue; // stopped by the same Ctrl-C
        finish(c, st);
        reaped = true;
        continue;
      }
      double age =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - running[i].start)
              .count();
      if (age > opt.timeout_s) {
        kill(running[i].pid, SIGKILL);
        waitpid(running[i].pid, &st, 0);
        Child c = running[i];
        running.erase(running.begin() + std::ptrdiff_t(i));
        fail(c, "worker hung: no result after " + std::to_string(int(opt.timeout_s)) + " s");
        continue;
      }
      ++i;
    }
    if (!reaped) {
      struct timespec ts {
        0, 5'000'000
      };
      nanosleep(&ts, nullptr);
    }
  }
  return failures;
}

int run_worker(const std::string& in_path, const std::string& out_path) {
  try {
    json in = model::read_json_file(in_path, "worker");
    model::Network net;
    net.name = "calibration";
    model::Layer layer = model::layer_from_json(in.at("layer"));
    model::Accelerator accel = model::accelerator_from_json(in.at("accelerator"));
    std::vector<model::Mapping> maps;
    for (const auto& m : in.at("mappings")) {
      maps.push_back(model::mapping_from_json(m));
      net.layers.push_back(layer);
      net.layers.back().name = "m" + std::to_string(maps.size() - 1);
    }
    model::Tech tech = model::load_tech(accel.tech);
    sysc::SimOptions so;
    so.engine = sysc::engine_from_string(in.at("engine").get<std::string>(), "engine");
    so.seed = in.at("seed").get<std::uint32_t>();
    setenv("SC_COPYRIGHT_MESSAGE", "DISABLE", 1);
    sysc::SimStats s = sysc::simulate(net, accel, maps, tech, so);
    json layers = json::array();
    for (const auto& l : s.layers) {
      if (l.mismatches)
        throw std::runtime_error(l.name + ": " + std::to_string(l.mismatches) +
                                 " outputs differ from the reference (" + l.first_mismatch + ")");
      layers.push_back({{"cycles", l.cycles},
                        {"compute_cycles", l.compute_cycles},
                        {"stall_cycles", l.stall_cycles},
                        {"tiles", l.tiles},
                        {"energy_j", l.energy_j},
                        {"breakdown", model::to_json(l.energy)}});
    }
    model::write_json_file(out_path, {{"layers", layers}, {"wall_seconds", s.wall_seconds}});
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "worker: " << e.what() << "\n";
    return 1;
  }
}

} // namespace brickyard::calibration
