#include "jobs/pool.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>

#include "jobs/files.hpp"
#include "jobs/process.hpp"

namespace brickyard::jobs {

namespace {

using Clock = std::chrono::steady_clock;

// Set by SIGINT/SIGTERM while run_pool() is active (a signal handler can only reach a
// static); run_pool() installs the handlers and restores the previous ones.
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
    // A signal the pool caught is passed on to the handler that was there before (the
    // co-search's stop flag, say), as if it had arrived now.
    if (g_stop) {
      const auto& o = old_int;
      if (o.sa_handler != SIG_DFL && o.sa_handler != SIG_IGN && !(o.sa_flags & SA_SIGINFO))
        o.sa_handler(SIGINT);
    }
  }
};

struct Child {
  std::size_t index = 0;
  pid_t pid = -1;
  Clock::time_point start;
  std::string err_path;
};

double since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

} // namespace

std::string clock_text(double s) {
  char b[32];
  if (s < 60)
    std::snprintf(b, sizeof b, "%.1f s", s);
  else
    std::snprintf(b, sizeof b, "%dm%02ds", int(s) / 60, int(s) % 60);
  return b;
}

std::vector<JobResult> run_pool(const std::vector<Job>& jobs, const PoolOptions& opt) {
  std::vector<JobResult> results(jobs.size());
  if (jobs.empty()) return results;
  TempDir dir("brickyard_jobs");
  SignalGuard guard;
  std::vector<Child> running;
  std::size_t next = 0, done = 0;

  auto stop_all = [&](int sig) {
    for (auto& c : running) kill(c.pid, sig);
    for (auto& c : running) wait_for(c.pid);
    running.clear();
  };
  auto deliver = [&](const Child& c, int st, std::string error) {
    JobResult& r = results[c.index];
    r.index = c.index;
    r.wait_status = st;
    r.seconds = since(c.start);
    r.stderr_text = slurp(c.err_path);
    if (error.empty() && !(WIFEXITED(st) && WEXITSTATUS(st) == 0)) error = describe_status(st);
    if (!error.empty()) {
      const std::string line = last_line(r.stderr_text);
      r.error = error + (line.empty() ? "" : ": " + line);
    }
    r.ok = r.error.empty();
    ++done;
    if (opt.on_done) opt.on_done(r, done, jobs.size());
  };

  try {
    while (next < jobs.size() || !running.empty()) {
      if (g_stop) {
        stop_all(SIGTERM);
        throw Interrupted();
      }
      while (running.size() < std::size_t(std::max(1, opt.jobs)) && next < jobs.size()) {
        const Job& j = jobs[next];
        Child c;
        c.index = next++;
        const std::string stem = dir.path().string() + "/job" + std::to_string(c.index);
        Redirect r;
        r.out = j.out_path.empty() ? stem + ".out" : j.out_path;
        c.err_path = j.err_path.empty() ? stem + ".err" : j.err_path;
        r.err = c.err_path;
        c.start = Clock::now();
        try {
          c.pid = spawn(j.argv, r);
        } catch (const std::exception& e) {
          deliver(c, 0, e.what());
          continue;
        }
        running.push_back(c);
      }
      bool reaped = false;
      for (std::size_t i = 0; i < running.size();) {
        int st = 0;
        const pid_t p = waitpid(running[i].pid, &st, WNOHANG);
        if (p == running[i].pid) {
          const Child c = running[i];
          running.erase(running.begin() + std::ptrdiff_t(i));
          if (g_stop && WIFSIGNALED(st)) continue; // stopped by the same Ctrl-C
          deliver(c, st, "");
          reaped = true;
          continue;
        }
        if (opt.timeout_s > 0 && since(running[i].start) > opt.timeout_s) {
          kill(running[i].pid, SIGKILL);
          st = wait_for(running[i].pid);
          const Child c = running[i];
          running.erase(running.begin() + std::ptrdiff_t(i));
          deliver(c, st, "hung: no result after " + std::to_string(int(opt.timeout_s)) + " s");
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
  } catch (...) {
    stop_all(SIGTERM);
    throw;
  }
  return results;
}

} // namespace brickyard::jobs
