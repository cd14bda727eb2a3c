#pragma once
// Errors raised while parsing or validating user input. The CLI maps SpecError to exit
// status 2 and prints what() as its one-line message; libraries never exit().
#include <stdexcept>
#include <string>

namespace brickyard::model {

class SpecError : public std::runtime_error {
public:
  SpecError(std::string field, const std::string& message)
      : std::runtime_error("field '" + field + "': " + message), field_(std::move(field)) {}
  const std::string& field() const { return field_; }

private:
  std::string field_;
};

} // namespace brickyard::model
