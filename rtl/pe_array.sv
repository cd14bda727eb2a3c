// The PE array of the accelerator: ROWS x COLS fusion units with the dataflow chosen at
// elaboration time (DATAFLOW 0 = WS, 1 = OS, 2 = RS). One port list for all three; each
// dataflow uses the subset documented in rtl/README.md and ignores the rest:
//   WS  weights w_we/w_bank/w_row/w_data[COLS words]; pixels in_valid/in_bank/in_a[ROWS];
//       partial sums out_valid/out_data.
//   OS  steps in_valid/in_first/in_last/in_a[ROWS]/in_w[COLS]; results rd_row -> out_data
//       (combinational, out_valid tied high).
//   RS  config stride/k; weights w_we/w_bank/w_idx/w_data[ROWS words]; steps in_valid/
//       in_bank/in_kw/in_a[(COLS-1)*2+ROWS buses]; output rows out_valid/out_data.
module pe_array #(
    parameter integer ROWS = 4,      // 3..64
    parameter integer COLS = 4,      // 3..64
    parameter integer DATAFLOW = 0,  // 0 WS, 1 OS, 2 RS
    parameter integer KMAX = 7       // RS: largest kernel width
) (
    input  logic                                          clk,
    input  logic                                          rst_n,
    input  logic [1:0]                                    a_prec,
    input  logic [1:0]                                    w_prec,
    input  logic                                          a_signed,
    input  logic                                          w_signed,
    input  logic                                          stride,
    input  logic [$clog2(KMAX+1)-1:0]                     k,
    input  logic                                          w_we,
    input  logic                                          w_bank,
    input  logic [5:0]                                    w_row,
    input  logic [$clog2(KMAX+1)-1:0]                     w_idx,
    input  logic [(DATAFLOW == 2 ? ROWS : COLS)*32-1:0]   w_data,
    input  logic                                          in_valid,
    input  logic                                          in_bank,
    input  logic                                          in_first,
    input  logic                                          in_last,
    input  logic [$clog2(KMAX+1)-1:0]                     in_kw,
    input  logic [(DATAFLOW == 2 ? (COLS-1)*2+ROWS : ROWS)*32-1:0] in_a,
    input  logic [COLS*32-1:0]                            in_w,
    input  logic [5:0]                                    rd_row,
    output logic                                          out_valid,
    output logic [COLS*32-1:0]                            out_data
);
  generate
    if (DATAFLOW == 0) begin : g_ws
      pe_array_ws #(.ROWS(ROWS), .COLS(COLS)) u_array (
          .clk, .rst_n, .a_prec, .w_prec, .a_signed, .w_signed,
          .w_we, .w_bank, .w_row, .w_data,
          .in_valid, .in_bank, .in_data(in_a),
          .out_valid, .out_data);
      // Ports this dataflow does not use.
      /* verilator lint_off UNUSEDSIGNAL */
      wire unused_ok = &{1'b0, stride, k, w_idx, in_first, in_last, in_kw, in_w, rd_row};
      /* verilator lint_on UNUSEDSIGNAL */
    end else if (DATAFLOW == 1) begin : g_os
      pe_array_os #(.ROWS(ROWS), .COLS(COLS)) u_array (
          .clk, .rst_n, .a_prec, .w_prec, .a_signed, .w_signed,
          .in_valid, .in_first, .in_last, .in_a, .in_w,
          .rd_row, .rd_data(out_data));
      assign out_valid = 1'b1;
      /* verilator lint_off UNUSEDSIGNAL */
      wire unused_ok = &{1'b0, stride, k, w_we, w_bank, w_row, w_idx, w_data, in_bank, in_kw};
      /* verilator lint_on UNUSEDSIGNAL */
    end else begin : g_rs
      pe_array_rs #(.ROWS(ROWS), .COLS(COLS), .KMAX(KMAX)) u_array (
          .clk, .rst_n, .a_prec, .w_prec, .a_signed, .w_signed, .stride, .k,
          .w_we, .w_bank, .w_idx, .w_data,
          .in_valid, .in_bank, .in_kw, .in_data(in_a),
          .out_valid, .out_data);
      /* verilator lint_off UNUSEDSIGNAL */
      wire unused_ok = &{1'b0, w_row, in_first, in_last, in_w, rd_row};
      /* verilator lint_on UNUSEDSIGNAL */
    end
  endgenerate
endmodule
