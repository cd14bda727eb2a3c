#pragma once
// RtlEngine<V>: a Verilated model whose ports are those of rtl/pe_array.sv (clk, rst_n,
// a_prec, ..., out_data; extra ports are left at 0) behind the ArrayEngine interface.
// Used by engine_rtl.cpp for the shapes compiled into the build, and by the shared
// libraries `brickyard export-rtl --verify` builds from an exported top (rtlgen/).
//
// Driving the model as tests/rtl/test_pe_array.cpp does: set the inputs, clk = 0 and
// eval (outputs of the cycle readable), clk = 1 and eval (the rising edge).
#include <cstdint>
#include <memory>
#include <vector>

#include <verilated.h>

#include "sysc/engine.hpp"
#include "sysc/engine_impl.hpp"

namespace brickyard::sysc::detail {

template <class V> class RtlEngine final : public ArrayEngine {
public:
  RtlEngine(model::Dataflow df, int rows, int cols)
      : ArrayEngine(df, rows, cols), ctx_(std::make_unique<VerilatedContext>()),
        top_(std::make_unique<V>(ctx_.get())), n_w_(w_data_words(df, rows, cols)),
        n_a_(in_a_words(df, rows, cols)) {
    out_.out_data.assign(std::size_t(cols), 0);
    top_->clk = 0;
    top_->rst_n = 1;
    set_inputs(ArrayInputs{});
  }
  ~RtlEngine() override { top_->final(); }
  RtlEngine(const RtlEngine&) = delete;
  RtlEngine& operator=(const RtlEngine&) = delete;

  void reset() override {
    set_inputs(ArrayInputs{});
    top_->rst_n = 0;
    clock();
    top_->rst_n = 1;
    settled_ = false;
  }

  void set_inputs(const ArrayInputs& in) override {
    V& m = *top_;
    m.a_prec = unsigned(in.a_prec) & kPrecMask;
    m.w_prec = unsigned(in.w_prec) & kPrecMask;
    m.a_signed = in.a_signed;
    m.w_signed = in.w_signed;
    m.stride = in.stride2;
    m.k = unsigned(in.k) & kKwMask;
    m.w_we = in.w_we;
    m.w_bank = in.w_bank;
    m.w_row = unsigned(in.w_row) & kRowMask;
    m.w_idx = unsigned(in.w_idx) & kKwMask;
    m.in_valid = in.in_valid;
    m.in_bank = in.in_bank;
    m.in_first = in.in_first;
    m.in_last = in.in_last;
    m.in_kw = unsigned(in.in_kw) & kKwMask;
    m.rd_row = unsigned(in.rd_row) & kRowMask;
    for (int i = 0; i < n_w_; ++i) m.w_data[i] = word(in.w_data, i);
    for (int i = 0; i < n_a_; ++i) m.in_a[i] = word(in.in_a, i);
    for (int i = 0; i < cols_; ++i) m.in_w[i] = word(in.in_w, i);
    settled_ = false;
  }

  const ArrayOutputs& outputs() override {
    settle();
    out_.out_valid = top_->out_valid;
    for (int c = 0; c < cols_; ++c) out_.out_data[std::size_t(c)] = top_->out_data[c];
    return out_;
  }

  void clock() override {
    settle();
    top_->clk = 1;
    top_->eval();
    settled_ = false;
  }

private:
  static std::uint32_t word(const std::vector<std::uint32_t>& v, int i) {
    return std::size_t(i) < v.size() ? v[std::size_t(i)] : 0u;
  }
  // Clock low with this cycle's inputs: combinational outputs settle.
  void settle() {
    if (settled_) return;
    top_->clk = 0;
    top_->eval();
    settled_ = true;
  }

  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<V> top_;
  const int n_w_, n_a_;
  bool settled_ = false;
  ArrayOutputs out_;
};

} // namespace brickyard::sysc::detail
