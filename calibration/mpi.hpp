#pragma once
// Optional MPI (docs/design.md "Scale"): `mpirun -np N brickyard calibrate ...` spreads the
// groups over the ranks. MPI is initialized only when the process was launched by
// mpirun (OpenMPI's OMPI_COMM_WORLD_SIZE, or PMI_SIZE, in the environment), so the plain
// binary runs without an MPI runtime; without MPI support in the build, a launch under
// mpirun with more than one rank is refused.
#include <string>
#include <vector>

namespace brickyard::calibration {

class MpiSession {
public:
  MpiSession();
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  // Rank 0 receives every rank's string, in rank order; the others get an empty vector.
  std::vector<std::string> gather(const std::string& mine) const;
  void barrier() const;

private:
  int rank_ = 0, size_ = 1;
  bool initialized_ = false;
};

} // namespace brickyard::calibration
