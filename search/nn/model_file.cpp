#include "search/nn/model_file.hpp"

#include <chrono>
#include <cstdio>
#include <filesystem>

#include <torch/serialize.h>

#include "model/error.hpp"
#include "model/json_io.hpp"
#include "search/nn/output_dir.hpp"
#include "search/nn/supernet.hpp"
#include "search/nn/train.hpp"

namespace brickyard::search {

namespace fs = std::filesystem;
using json = nlohmann::json;
using model::SpecError;

namespace {

const char* format_name(DataFormat f) {
  switch (f) {
  case DataFormat::FashionMnist:
    return "fashion-mnist";
  case DataFormat::Cifar10:
    return "cifar10";
  case DataFormat::Cifar100:
    return "cifar100";
  }
  return "?";
}

DataFormat format_from(const std::string& s, const std::string& field) {
  if (s == "fashion-mnist") return DataFormat::FashionMnist;
  if (s == "cifar10") return DataFormat::Cifar10;
  if (s == "cifar100") return DataFormat::Cifar100;
  throw SpecError(field, "unknown format '" + s + "' (fashion-mnist, cifar10, cifar100)");
}

std::string first_line(const std::string& s) {
  return s.substr(0, s.find('\n'));
}

template <typename Module> void load_weights(Module& m, const fs::path& p) {
  try {
    torch::load(m, p.string());
  } catch (const std::exception& e) {
    throw SpecError("model",
                    "cannot read the weights '" + p.string() + "': " + first_line(e.what()));
  }
}

std::vector<ConvBits> all_float(std::size_t n) {
  return std::vector<ConvBits>(n, ConvBits::float_bits());
}

} // namespace

TrainedModel load_trained_model(const std::string& path) {
  if (path.empty()) throw SpecError("model", "missing (--model FILE)");
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) throw SpecError("model", "'" + path + "' does not exist");
  const json j = model::read_json_file(path, "model");
  const fs::path dir = fs::path(path).parent_path();
  TrainedModel m;
  try {
    if (j.is_object() && j.value("format", "") == "brickyard-model") {
      m.kind = "model";
      m.space = space_from_json(j.at("space"));
      m.choice = choice_from_json(m.space, j.at("choice"), "choice");
      const json& d = j.at("data");
      m.data.format = format_from(d.value("format", "fashion-mnist"), "data.format");
      m.data.root = d.value("root", default_fmnist_dir());
      m.data.seed = d.value("seed", std::uint64_t(1));
      m.data.train_limit = d.value("train_limit", std::int64_t(0));
      m.data.test_limit = d.value("test_limit", std::int64_t(0));
      m.weights = (dir / j.value("weights", "model.pt")).string();
      Supernet sup(m.space, SupernetOptions{QuantMode::None});
      m.net = Subnet(*sup, m.choice);
      if (!fs::exists(m.weights)) throw SpecError("weights", "'" + m.weights + "' is missing");
      load_weights(m.net, m.weights);
      if (j.value("precision", "float") == "float")
        m.net->set_layer_bits(all_float(m.net->layers().size()));
    } else if (j.is_object() && j.contains("cosearch") && j.contains("choice")) {
      m.kind = "design";
      const json& cs = j["cosearch"];
      m.space = space_from_json(cs.at("space"));
      m.choice = choice_from_json(m.space, j["choice"], "choice");
      m.data.root = cs.value("data_root", default_fmnist_dir());
      m.data.seed = cs.value("seed", std::uint64_t(1));
      Supernet sup(m.space, SupernetOptions{});
      const fs::path sub = dir / "subnet.pt";
      const fs::path super = dir / cs.value("supernet", "supernet.pt");
      if (fs::exists(sub)) {
        m.net = Subnet(*sup, m.choice);
        load_weights(m.net, sub);
        m.weights = sub.string();
      } else if (fs::exists(super)) {
        load_weights(sup, super);
        m.net = Subnet(*sup, m.choice);
        m.weights = super.string();
        m.recalibrate_bn = true;
      } else {
        throw SpecError("weights", "neither subnet.pt nor " + super.filename().string() +
                                       " beside the design");
      }
    } else {
      throw SpecError("format", "not a brickyard model.json (brickyard train) or a cosearch "
                                "design.json");
    }
  } catch (const SpecError& e) {
    throw SpecError("model", "in '" + path + "': " + e.what());
  } catch (const json::exception& e) {
    throw SpecError("model", "in '" + path + "': " + first_line(e.what()));
  }
  return m;
}

json train_model(const TrainModelOptions& o) {
  OutputDir out(o.out_dir, o.force);
  if (o.threads < 1) throw SpecError("threads", "must be >= 1");
  const SearchSpace space = load_space(o.space);
  const auto shapes = blocks(space);
  ArchChoice c;
  if (!o.choice_path.empty()) {
    if (!o.op.empty()) throw SpecError("op", "give either --op or --choice");
    const json j = model::read_json_file(o.choice_path, "choice");
    if (!j.is_object() || !j.contains("choice"))
      throw SpecError("choice", "'" + o.choice_path + "' has no \"choice\" section");
    c = choice_from_json(space, j["choice"], "choice");
  } else {
    for (std::size_t b = 0; b < shapes.size(); ++b) {
      int idx = o.op.empty() ? 0 : -1;
      for (std::size_t i = 0; i < shapes[b].ops.size() && idx < 0; ++i)
        if (shapes[b].ops[i].name() == o.op) idx = int(i);
      if (idx < 0)
        throw SpecError("op", "'" + o.op + "' is not a candidate of block " + std::to_string(b) +
                                  " of the space");
      c.op.push_back(idx);
      c.a_bits.push_back(8);
      c.w_bits.push_back(8);
    }
  }
  for (auto& b : c.a_bits) b = 8; // trained in float; 8 is what describe() reports
  for (auto& b : c.w_bits) b = 8;
  at::set_num_threads(o.threads);
  const Dataset data = load(o.data);
  const Split split = data.split(o.data);
  torch::manual_seed(o.train.seed);
  Supernet sup(space, SupernetOptions{QuantMode::None});
  Subnet net(*sup, c);
  net->set_layer_bits(all_float(net->layers().size()));
  const auto rows = torch::cat({split.train_w, split.train_a});
  FinetuneOptions fo = o.train;
  fo.augment = o.data.augment;
  const FinetuneResult r = finetune(*net, data, rows, fo);
  const double acc = evaluate(*net, data, split.test).accuracy;
  torch::save(net, (out.path() / "model.pt").string());
  json mj = {{"format", "brickyard-model"},
             {"version", 1},
             {"space", to_json(space)},
             {"choice", to_json(space, c)},
             {"precision", "float"},
             {"data",
              {{"format", format_name(o.data.format)},
               {"root", o.data.root},
               {"seed", o.data.seed},
               {"train_limit", o.data.train_limit},
               {"test_limit", o.data.test_limit}}},
             {"weights", "model.pt"},
             {"layers", net->layers().size()},
             {"test_accuracy", acc},
             {"train_accuracy_last_epoch", r.train_accuracy},
             {"epochs", o.train.epochs},
             {"lr", o.train.lr},
             {"batch_size", o.train.batch_size},
             {"seconds", r.seconds}};
  out.write("model.json", mj.dump(2) + "\n");
  out.commit();
  return mj;
}

} // namespace brickyard::search
