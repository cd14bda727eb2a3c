#include "model/process.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <stdexcept>

namespace brickyard::model {

Run run(const std::vector<std::string>& argv, bool merge) {
  int fd[2];
  if (pipe(fd) != 0) throw std::runtime_error("pipe failed");
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    dup2(fd[1], 1);
    if (merge) dup2(fd[1], 2);
    close(fd[0]);
    close(fd[1]);
    std::vector<char*> a;
    for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
    a.push_back(nullptr);
    execvp(a[0], a.data());
    _exit(127);
  }
  close(fd[1]);
  Run r;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd[0], buf, sizeof buf)) > 0) r.out.append(buf, std::size_t(n));
  close(fd[0]);
  int st = 0;
  waitpid(pid, &st, 0);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

} // namespace brickyard::model
