#pragma once
// Trained networks as files (issue 10 item 6): what `brickyard train` writes and what
// `brickyard quantize --model` reads.
//
// model.json (written by `brickyard train --out DIR`, beside DIR/model.pt):
//   {"format": "brickyard-model", "version": 1,
//    "space": {...search space JSON...}, "choice": [{"op": "conv_k3", "a_bits": 8, "w_bits": 8},
//    ...], "precision": "float",                 // the weights were trained without quantization
//    "data": {"format": "fashion-mnist", "root": "...", "seed": 1, "train_limit": 0, "test_limit":
//    0}, "weights": "model.pt",                // torch::save of the Subnet, relative to the file
//    "test_accuracy": 0.91, "epochs": 3, "lr": 0.05, "seconds": 120}
// A cosearch/retrain design.json works too: its "cosearch" section names the space, data
// root and seed, its "choice" the ops and bits; weights come from subnet.pt beside it
// (the retrained subnet) or else supernet.pt (the search's weights, BN re-estimated).
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "search/nn/data.hpp"
#include "search/nn/derive.hpp"
#include "search/nn/finetune.hpp"
#include "search/nn/space.hpp"

namespace brickyard::search {

struct TrainedModel {
  SearchSpace space;
  ArchChoice choice;
  DataOptions data;
  Subnet net{nullptr};
  std::string kind;            // "model" (brickyard train) or "design" (cosearch)
  std::string weights;         // the file the weights came from
  bool recalibrate_bn = false; // weights are a supernet's: re-estimate BN before use
};

// SpecError("model", ...) naming the problem (missing file, not a model, no weights).
TrainedModel load_trained_model(const std::string& path);

struct TrainModelOptions {
  std::string space = "small"; // preset or space JSON
  std::string op;              // every block's op ("" = the first op each block offers)
  std::string choice_path;     // or the ops of a design.json / model.json ("choice")
  DataOptions data;
  FinetuneOptions train; // epochs, lr, batch size, ...
  int threads = 2;
  std::string out_dir;
  bool force = false;
};

// Trains the fixed network at full precision (every layer float) and writes
// out_dir/model.json + model.pt (atomically: a temp directory renamed at the end).
// Returns model.json's content.
nlohmann::json train_model(const TrainModelOptions& options);

} // namespace brickyard::search
