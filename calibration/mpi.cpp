#include "calibration/mpi.hpp"

#include <cstdlib>
#include <stdexcept>

#ifdef BRICKYARD_HAVE_MPI
#include <mpi.h>
#endif

namespace brickyard::calibration {

namespace {
int launched_size() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"})
    if (const char* s = std::getenv(v); s && *s) return std::atoi(s);
  return 0;
}
} // namespace

MpiSession::MpiSession() {
  int n = launched_size();
  if (n <= 0) return;
#ifdef BRICKYARD_HAVE_MPI
  int already = 0;
  MPI_Initialized(&already);
  if (!already) {
    MPI_Init(nullptr, nullptr);
    initialized_ = true;
  }
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
#else
  if (n > 1)
    throw std::runtime_error("launched under mpirun with " + std::to_string(n) +
                             " ranks, but this brickyard was built without MPI");
#endif
}

MpiSession::~MpiSession() {
#ifdef BRICKYARD_HAVE_MPI
  if (initialized_) MPI_Finalize();
#endif
}

std::vector<std::string> MpiSession::gather(const std::string& mine) const {
  if (size_ == 1) return {mine};
#ifdef BRICKYARD_HAVE_MPI
  int len = int(mine.size());
  std::vector<int> lens(rank_ == 0 ? std::size_t(size_) : 0), offs;
  MPI_Gather(&len, 1, MPI_INT, lens.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
  std::string all;
  if (rank_ == 0) {
    int total = 0;
    for (int l : lens) {
      offs.push_back(total);
      total += l;
    }
    all.resize(std::size_t(total));
  }
  MPI_Gatherv(mine.data(), len, MPI_CHAR, all.data(), lens.data(), offs.data(), MPI_CHAR, 0,
              MPI_COMM_WORLD);
  std::vector<std::string> out;
  if (rank_ == 0)
    for (int r = 0; r < size_; ++r)
      out.push_back(
          all.substr(std::size_t(offs[std::size_t(r)]), std::size_t(lens[std::size_t(r)])));
  return out;
#else
  return {mine};
#endif
}

void MpiSession::barrier() const {
#ifdef BRICKYARD_HAVE_MPI
  if (size_ > 1) MPI_Barrier(MPI_COMM_WORLD);
#endif
}

} // namespace brickyard::calibration
