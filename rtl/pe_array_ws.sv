// Weight-stationary array of ROWS x COLS fusion units (BitFusion / TPU style).
//
// PE(r,c) keeps a weight word w[r][c] (input-channel group r, output channel c) in one of
// two banks. Activation words enter row r from the left, one pixel per cycle, and move
// right one PE per cycle; partial sums move down one PE per cycle and leave the bottom
// row. The array skews the inputs (row r delayed r cycles) and deskews the outputs
// (column c delayed COLS-1-c), so the controller sees whole vectors:
//   a pixel presented in cycle t appears on out_data in cycle t + ROWS + COLS - 1.
// Each pixel carries the bank of the weights it uses, so passes with different weights
// stream back to back. Bank b row r may be rewritten once the last pixel that used b has
// passed row r (rtl/README.md gives the exact rule).
module pe_array_ws #(
    parameter integer ROWS = 4,
    parameter integer COLS = 4
) (
    input  logic                 clk,
    input  logic                 rst_n,
    input  logic [1:0]           a_prec,
    input  logic [1:0]           w_prec,
    input  logic                 a_signed,
    input  logic                 w_signed,
    // Weight load: row w_row of bank w_bank; column c gets w_data[c*32 +: 32].
    input  logic                 w_we,
    input  logic                 w_bank,
    input  logic [5:0]           w_row,
    input  logic [COLS*32-1:0]   w_data,
    // Pixel stream: row r's activation word is in_data[r*32 +: 32].
    input  logic                 in_valid,
    input  logic                 in_bank,
    input  logic [ROWS*32-1:0]   in_data,
    // Partial sums of one pixel, column c (output channel c) in out_data[c*32 +: 32].
    output logic                 out_valid,
    output logic [COLS*32-1:0]   out_data
);
  localparam integer N = ROWS * COLS;
  localparam integer H = ROWS * (COLS - 1);  // PEs that pass activations right

  logic [N*32-1:0] w0_q, w1_q;  // weight banks, PE(r,c) at index r*COLS+c
  logic [H-1:0]    v_q, b_q;    // valid and bank tags moving right, index r*(COLS-1)+c
  logic [H*32-1:0] a_q;         // activations moving right
  logic [N*32-1:0] p_q;         // partial sums moving down
  logic            last_v_q;    // valid leaving PE(ROWS-1, COLS-1)

  logic [ROWS-1:0]    sk_v, sk_b;  // skewed inputs of column 0
  logic [ROWS*32-1:0] sk_d;

  genvar r, c;
  generate
    // Input skew: row r sees the stream r cycles late.
    for (r = 0; r < ROWS; r = r + 1) begin : g_skew
      if (r == 0) begin : g_none
        assign sk_v[0] = in_valid;
        assign sk_b[0] = in_bank;
        assign sk_d[31:0] = in_data[31:0];
      end else begin : g_sr
        logic [r-1:0]        sv, sb;
        logic [r*32-1:0]     sd;
        logic [r:0]          sv_n, sb_n;  // {stages, port}
        logic [(r+1)*32-1:0] sd_n;
        assign sv_n = {sv, in_valid};
        assign sb_n = {sb, in_bank};
        assign sd_n = {sd, in_data[r*32 +: 32]};
        always_ff @(posedge clk) begin
          if (!rst_n) sv <= '0;
          else sv <= sv_n[r-1:0];
          sb <= sb_n[r-1:0];
          sd <= sd_n[r*32-1:0];
        end
        assign sk_v[r] = sv_n[r];
        assign sk_b[r] = sb_n[r];
        assign sk_d[r*32 +: 32] = sd_n[r*32 +: 32];
      end
    end

    for (r = 0; r < ROWS; r = r + 1) begin : g_row
      for (c = 0; c < COLS; c = c + 1) begin : g_col
        localparam integer I = r * COLS + c;
        localparam integer J = r * (COLS - 1) + c;
        logic        v_i, b_i;
        logic [31:0] a_i, p_i, w_i;
        logic signed [31:0] prod;
        if (c == 0) begin : g_left
          assign v_i = sk_v[r];
          assign b_i = sk_b[r];
          assign a_i = sk_d[r*32 +: 32];
        end else begin : g_inner
          assign v_i = v_q[J-1];
          assign b_i = b_q[J-1];
          assign a_i = a_q[(J-1)*32 +: 32];
        end
        if (r == 0) begin : g_top
          assign p_i = 32'd0;
        end else begin : g_below
          assign p_i = p_q[(I-COLS)*32 +: 32];
        end
        assign w_i = b_i ? w1_q[I*32 +: 32] : w0_q[I*32 +: 32];

        fusion_unit u_fu (
            .a_prec(a_prec), .w_prec(w_prec), .a_signed(a_signed), .w_signed(w_signed),
            .a(a_i), .w(w_i), .sum(prod));

        always_ff @(posedge clk) begin
          p_q[I*32 +: 32] <= v_i ? p_i + prod : p_i;
          if (w_we && w_row == 6'(r)) begin
            if (w_bank) w1_q[I*32 +: 32] <= w_data[c*32 +: 32];
            else w0_q[I*32 +: 32] <= w_data[c*32 +: 32];
          end
        end
        if (c < COLS - 1) begin : g_pass
          always_ff @(posedge clk) begin
            if (!rst_n) v_q[J] <= 1'b0;
            else v_q[J] <= v_i;
            b_q[J] <= b_i;
            a_q[J*32 +: 32] <= a_i;
          end
        end else if (r == ROWS - 1) begin : g_corner
          always_ff @(posedge clk) begin
            if (!rst_n) last_v_q <= 1'b0;
            else last_v_q <= v_i;
          end
        end
      end
    end

    // Output deskew: column c is COLS-1-c cycles ahead of the last column.
    for (c = 0; c < COLS; c = c + 1) begin : g_deskew
      localparam integer D = COLS - 1 - c;
      localparam integer B = (ROWS - 1) * COLS + c;
      if (D == 0) begin : g_none
        assign out_data[c*32 +: 32] = p_q[B*32 +: 32];
      end else begin : g_sr
        logic [D*32-1:0]     sd;
        logic [(D+1)*32-1:0] sd_n;
        assign sd_n = {sd, p_q[B*32 +: 32]};
        always_ff @(posedge clk) sd <= sd_n[D*32-1:0];
        assign out_data[c*32 +: 32] = sd_n[D*32 +: 32];
      end
    end
  endgenerate

  assign out_valid = last_v_q;
endmodule
