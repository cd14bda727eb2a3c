#include <string>

#include <nlohmann/json.hpp>

#include "model/error.hpp"
#include "search/nn/space.hpp"

#include <catch2/catch.hpp>

using namespace brickyard::search;
using brickyard::model::SpecError;
using nlohmann::json;

TEST_CASE("search space: presets have the documented shape") {
  const auto fb = preset_space("fbnet22");
  const auto fb_blocks = blocks(fb);
  REQUIRE(fb_blocks.size() == 22);
  CHECK(fb.ops.size() == 9); // JAQ: 9 candidates per block incl. skip
  int skip_blocks = 0;
  for (const auto& b : fb_blocks) {
    const bool keeps = b.stride == 1 && b.in_channels == b.out_channels;
    CHECK(b.ops.size() == (keeps ? 9u : 8u)); // skip only where the shape is kept
    skip_blocks += keeps;
  }
  CHECK(skip_blocks == 22 - 6); // 6 blocks change channels or stride
  CHECK(fb_blocks.back().out_channels == 352);
  CHECK(fb_blocks.back().out_size == 4); // 32 -> 16 -> 8 -> 4
  CHECK(fb.head_channels == 1984);

  const auto small = preset_space("small");
  CHECK(small.input_size == 28);
  CHECK(small.in_channels == 1);
  CHECK(blocks(small).size() >= 4);
  CHECK(blocks(small).size() <= 6);
  CHECK(load_space("small").stages.size() == small.stages.size());
  CHECK_THROWS_AS(preset_space("huge"), SpecError);
}

TEST_CASE("search space: JSON round trip of the presets") {
  const auto name = GENERATE(as<std::string>{}, "small", "fbnet22");
  const auto s = preset_space(name);
  const auto j = to_json(s);
  const auto back = space_from_json(j);
  CHECK(to_json(back) == j);
  CHECK(back.ops == s.ops);
  CHECK(blocks(back).size() == blocks(s).size());
}

TEST_CASE("search space: op names parse and print") {
  const auto name = GENERATE(as<std::string>{}, "k3_e1", "k5_e6", "k3_e1_g2", "k5_e3_g4", "skip",
                             "conv_k3", "conv_k5");
  CHECK(parse_op(name, "ops[0]").name() == name);
  const auto bad =
      GENERATE(as<std::string>{}, "k4_e1", "k3", "k3_e0", "k3_e1_", "K3_e1", "k3_e1_g2x", "",
               "skip2", "e3_k3", "conv_k4", "conv_k", "conv_k3_e1", "conv3");
  try {
    parse_op(bad, "ops[7]");
    FAIL("no SpecError for '" << bad << "'");
  } catch (const SpecError& e) {
    CHECK(e.field() == "ops[7]");
  }
}

TEST_CASE("search space: bad JSON names the field") {
  struct Case {
    const char* patch; // merged into the small preset
    const char* field;
  };
  const auto c = GENERATE(values<Case>({
      {R"({"bogus": 1})", "bogus"},
      {R"({"stem": {"chanels": 16}})", "stem.chanels"},
      {R"({"stem": {"stride": 3}})", "stem.stride"},
      {R"({"input": {"size": 0}})", "input.size"},
      {R"({"num_classes": 1})", "num_classes"},
      {R"({"stages": []})", "stages"},
      {R"({"stages": [{"channels": 16}, {"channels": 24, "stride": 3}]})", "stages[1].stride"},
      {R"({"stages": [{"stride": 1}]})", "stages[0].channels"},
      {R"({"stages": [{"channels": 16, "blocks": 0}]})", "stages[0].blocks"},
      {R"({"stages": [{"channels": 16, "repeat": 2}]})", "stages[0].repeat"},
      {R"({"ops": ["k3_e1", "k4_e1"]})", "ops[1]"},
      {R"({"ops": ["k3_e1", "k3_e1"]})", "ops[1]"},
      {R"({"ops": [3]})", "ops[0]"},
      {R"({"ops": []})", "ops"},
      {R"({"ops": ["skip"], "stages": [{"channels": 24}]})", "ops"},
      {R"({"a_bits": [2, 3]})", "a_bits[1]"},
      {R"({"w_bits": []})", "w_bits"},
      {R"({"w_bits": [8, 8]})", "w_bits[1]"},
      {R"({"stem": {"channels": 15}, "ops": ["k3_e1_g2"]})", "stem.channels"},
      {R"({"stages": [{"channels": 16}, {"channels": 25}], "ops": ["k3_e1_g2"]})",
       "stages[1].channels"},
      {R"({"head_channels": -1})", "head_channels"},
  }));
  auto j = to_json(preset_space("small"));
  j.merge_patch(json::parse(c.patch));
  INFO(j.dump());
  try {
    space_from_json(j);
    FAIL("no SpecError");
  } catch (const SpecError& e) {
    CHECK(e.field() == c.field);
  }
}
