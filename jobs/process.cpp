#include "jobs/process.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

extern char** environ;

namespace brickyard::jobs {

namespace {

// posix_spawn file actions, destroyed on every path.
struct Actions {
  posix_spawn_file_actions_t fa;
  Actions() { posix_spawn_file_actions_init(&fa); }
  ~Actions() { posix_spawn_file_actions_destroy(&fa); }
};

pid_t start(const std::vector<std::string>& argv, posix_spawn_file_actions_t* fa) {
  if (argv.empty()) throw std::logic_error("spawn: empty argv");
  std::vector<char*> a;
  for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
  a.push_back(nullptr);
  pid_t pid = -1;
  const int rc = argv[0].find('/') == std::string::npos
                     ? posix_spawnp(&pid, a[0], fa, nullptr, a.data(), environ)
                     : posix_spawn(&pid, a[0], fa, nullptr, a.data(), environ);
  if (rc != 0) throw std::runtime_error("cannot start '" + argv[0] + "': " + std::strerror(rc));
  return pid;
}

} // namespace

pid_t spawn(const std::vector<std::string>& argv, const Redirect& r) {
  Actions x;
  if (!r.in.empty()) posix_spawn_file_actions_addopen(&x.fa, 0, r.in.c_str(), O_RDONLY, 0);
  if (!r.out.empty())
    posix_spawn_file_actions_addopen(&x.fa, 1, r.out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (r.err_to_out)
    posix_spawn_file_actions_adddup2(&x.fa, 1, 2);
  else if (!r.err.empty())
    posix_spawn_file_actions_addopen(&x.fa, 2, r.err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  return start(argv, &x.fa);
}

int wait_for(pid_t pid) {
  int st = 0;
  while (waitpid(pid, &st, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return st;
}

int exit_status(int st) {
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

std::string describe_status(int st) {
  if (WIFSIGNALED(st)) return std::string("killed by signal ") + strsignal(WTERMSIG(st));
  if (WIFEXITED(st)) return "exited with status " + std::to_string(WEXITSTATUS(st));
  return "stopped abnormally";
}

Run run(const std::vector<std::string>& argv, bool merge) {
  int fd[2];
  if (pipe(fd) != 0) throw std::runtime_error("pipe failed");
  Run r;
  pid_t pid = -1;
  {
    Actions x;
    posix_spawn_file_actions_addopen(&x.fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&x.fa, fd[1], 1);
    if (merge) posix_spawn_file_actions_adddup2(&x.fa, fd[1], 2);
    posix_spawn_file_actions_addclose(&x.fa, fd[0]);
    posix_spawn_file_actions_addclose(&x.fa, fd[1]);
    try {
      pid = start(argv, &x.fa);
    } catch (const std::exception& e) {
      close(fd[0]);
      close(fd[1]);
      r.out = e.what();
      return r;
    }
  }
  close(fd[1]);
  char buf[4096];
  ssize_t n;
  while ((n = read(fd[0], buf, sizeof buf)) != 0) {
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    r.out.append(buf, std::size_t(n));
  }
  close(fd[0]);
  r.status = exit_status(wait_for(pid));
  return r;
}

std::string gnuplot(const std::string& script, const std::string& data, const std::string& png) {
  const Run r = run({"gnuplot", script}, true);
  if (r.status != 0)
    return "plot skipped: gnuplot " + std::string(r.status == 127 ? "not found" : "failed") +
           " (script '" + script + "')";
  std::error_code ec;
  std::filesystem::remove(script, ec);
  std::filesystem::remove(data, ec);
  return "plot: " + png;
}

} // namespace brickyard::jobs
