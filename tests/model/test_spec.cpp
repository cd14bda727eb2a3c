#include <catch2/catch.hpp>

#include "model/spec.hpp"

using namespace brickyard::model;

TEST_CASE("inline layer spec of JAQ Table 2") {
  Layer l = parse_layer_spec("k=5,s=1,oh=7,ow=7,ic=552,oc=552,ab=8,wb=8");
  CHECK(l.oh() == 7);
  CHECK(l.ow() == 7);
  CHECK(l.ih == 11);
  CHECK(l.macs() == 7LL * 7 * 552 * 552 * 25);
}
