// Output-stationary array of ROWS x COLS fusion units (ShiDianNao / SCALE-Sim OS style).
//
// PE(r,c) accumulates output pixel r of output channel c in place. Each cycle one
// reduction step enters: row r's activation word (pixel r's input-window element for the
// step) from the left, column c's weight word (channel c's weight for the same step) from
// the top; activations move right and weights move down one PE per cycle. The array
// skews both streams (row r and column c delayed r and c cycles), so the controller
// presents one step per cycle. Tags `first` and `last` travel with the step: `first`
// restarts the accumulator, `last` copies the finished sum into the PE's result register
// (a second register, so the next fold accumulates while results are read out).
// Results are read one row per cycle through rd_row/rd_data; the result of row r is
// readable from cycle t_last + COLS + r, where t_last is the cycle the fold's last step
// entered (rtl/README.md gives the readout window and the fold period).
module pe_array_os #(
    parameter integer ROWS = 4,
    parameter integer COLS = 4
) (
    input  logic                 clk,
    input  logic                 rst_n,
    input  logic [1:0]           a_prec,
    input  logic [1:0]           w_prec,
    input  logic                 a_signed,
    input  logic                 w_signed,
    // Reduction step stream.
    input  logic                 in_valid,
    input  logic                 in_first,
    input  logic                 in_last,
    input  logic [ROWS*32-1:0]   in_a,   // row r: activation word for output pixel r
    input  logic [COLS*32-1:0]   in_w,   // column c: weight word for output channel c
    // Result readout (combinational): row rd_row of the last completed fold.
    input  logic [5:0]           rd_row,
    output logic [COLS*32-1:0]   rd_data
);
  localparam integer N = ROWS * COLS;
  localparam integer H = ROWS * (COLS - 1);  // PEs passing activations right
  localparam integer V = (ROWS - 1) * COLS;  // PEs passing weights down

  logic [H-1:0]    v_q, f_q, l_q;  // step tags moving right, index r*(COLS-1)+c
  logic [H*32-1:0] a_q;            // activations moving right
  logic [V*32-1:0] w_q;            // weights moving down, index r*COLS+c
  logic [N*32-1:0] acc_q, res_q;   // accumulators and results, index r*COLS+c

  logic [ROWS-1:0]    sk_v, sk_f, sk_l;  // skewed row inputs
  logic [ROWS*32-1:0] sk_a;
  logic [COLS*32-1:0] sk_w;              // skewed column inputs

  genvar r, c;
  generate
    for (r = 0; r < ROWS; r = r + 1) begin : g_rskew
      if (r == 0) begin : g_none
        assign sk_v[0] = in_valid;
        assign sk_f[0] = in_first;
        assign sk_l[0] = in_last;
        assign sk_a[31:0] = in_a[31:0];
      end else begin : g_sr
        logic [r-1:0]        sv, sf, sl;
        logic [r*32-1:0]     sa;
        logic [r:0]          sv_n, sf_n, sl_n;
        logic [(r+1)*32-1:0] sa_n;
        assign sv_n = {sv, in_valid};
        assign sf_n = {sf, in_first};
        assign sl_n = {sl, in_last};
        assign sa_n = {sa, in_a[r*32 +: 32]};
        always_ff @(posedge clk) begin
          if (!rst_n) sv <= '0;
          else sv <= sv_n[r-1:0];
          sf <= sf_n[r-1:0];
          sl <= sl_n[r-1:0];
          sa <= sa_n[r*32-1:0];
        end
        assign sk_v[r] = sv_n[r];
        assign sk_f[r] = sf_n[r];
        assign sk_l[r] = sl_n[r];
        assign sk_a[r*32 +: 32] = sa_n[r*32 +: 32];
      end
    end

    for (c = 0; c < COLS; c = c + 1) begin : g_cskew
      if (c == 0) begin : g_none
        assign sk_w[31:0] = in_w[31:0];
      end else begin : g_sr
        logic [c*32-1:0]     sw;
        logic [(c+1)*32-1:0] sw_n;
        assign sw_n = {sw, in_w[c*32 +: 32]};
        always_ff @(posedge clk) sw <= sw_n[c*32-1:0];
        assign sk_w[c*32 +: 32] = sw_n[c*32 +: 32];
      end
    end

    for (r = 0; r < ROWS; r = r + 1) begin : g_row
      for (c = 0; c < COLS; c = c + 1) begin : g_col
        localparam integer I = r * COLS + c;
        localparam integer J = r * (COLS - 1) + c;
        logic        v_i, f_i, l_i;
        logic [31:0] a_i, w_i, base, sum;
        logic signed [31:0] prod;
        if (c == 0) begin : g_left
          assign v_i = sk_v[r];
          assign f_i = sk_f[r];
          assign l_i = sk_l[r];
          assign a_i = sk_a[r*32 +: 32];
        end else begin : g_inner
          assign v_i = v_q[J-1];
          assign f_i = f_q[J-1];
          assign l_i = l_q[J-1];
          assign a_i = a_q[(J-1)*32 +: 32];
        end
        if (r == 0) begin : g_top
          assign w_i = sk_w[c*32 +: 32];
        end else begin : g_below
          assign w_i = w_q[(I-COLS)*32 +: 32];
        end

        fusion_unit u_fu (
            .a_prec(a_prec), .w_prec(w_prec), .a_signed(a_signed), .w_signed(w_signed),
            .a(a_i), .w(w_i), .sum(prod));

        assign base = f_i ? 32'd0 : acc_q[I*32 +: 32];
        assign sum = base + prod;
        always_ff @(posedge clk) begin
          if (v_i) begin
            acc_q[I*32 +: 32] <= sum;
            if (l_i) res_q[I*32 +: 32] <= sum;
          end
        end
        if (c < COLS - 1) begin : g_pass_a
          always_ff @(posedge clk) begin
            if (!rst_n) v_q[J] <= 1'b0;
            else v_q[J] <= v_i;
            f_q[J] <= f_i;
            l_q[J] <= l_i;
            a_q[J*32 +: 32] <= a_i;
          end
        end
        if (r < ROWS - 1) begin : g_pass_w
          always_ff @(posedge clk) w_q[I*32 +: 32] <= w_i;
        end
      end
    end
  endgenerate

  // Result readout mux.
  always_comb begin
    rd_data = '0;
    for (int i = 0; i < ROWS; i = i + 1)
      if (rd_row == 6'(i)) rd_data = res_q[i*COLS*32 +: COLS*32];
  end
endmodule
