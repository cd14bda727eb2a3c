// Row-stationary array of ROWS x COLS fusion units (Eyeriss style, one PE set per pass).
//
// PE(i,j) holds filter row i and computes output row j of a tile: at step (x, kw) it
// multiplies weight w[i][kw] by input element in[j*s + i][x*s + kw] (s = stride 1 or 2),
// sums over kw locally and, at the last kw, adds the partial sum of PE(i-1,j) and passes it
// down; the bottom row emits pixel x of every output row j at once. Every operand is a
// packed word of pf channels, so one pixel also sums over the pf fused input channels.
//
// Steps (x, kw) enter one per cycle, x-major, with their weight bank, kw and configuration
// (precision, signedness, stride, first/last kw derived from k), which travel with the
// step: row i works on step t in cycle t + i (row skew), so consecutive passes may differ
// in every setting. Input rows move diagonally: PE(i,j) with i >= s and j < COLS-1 reuses
// the input of PE(i-s, j+1) (same input row j*s+i), s cycles later; the entry PEs (i < s,
// or j == COLS-1) read bus j*s+i, delayed i cycles.
//
// Timing (rtl/README.md): out_valid is high in cycle t + ROWS for a pixel whose last
// step entered in cycle t; weight bank b may be written in any cycle c >= T + ROWS - 1,
// T being the entry cycle of the last step that uses bank b.
module pe_array_rs #(
    parameter integer ROWS = 3,  // filter rows (3..64)
    parameter integer COLS = 3,  // output rows (3..64)
    parameter integer KMAX = 7   // largest kernel width
) (
    input  logic                                   clk,
    input  logic                                   rst_n,     // synchronous, active low
    // Configuration, sampled with every step (in_valid) and carried along with it.
    input  logic [1:0]                             a_prec,    // 0: 2-bit, 1: 4-bit, 2: 8-bit
    input  logic [1:0]                             w_prec,
    input  logic                                   a_signed,
    input  logic                                   w_signed,
    input  logic                                   stride,    // 0: s = 1, 1: s = 2
    input  logic [$clog2(KMAX+1)-1:0]              k,         // kernel width, 1..KMAX
    // Weight register files: entry w_idx of bank w_bank of every row; row i gets
    // w_data[i*32 +: 32]. Entries w_idx >= KMAX are not written.
    input  logic                                   w_we,
    input  logic                                   w_bank,
    input  logic [$clog2(KMAX+1)-1:0]              w_idx,
    input  logic [ROWS*32-1:0]                     w_data,
    // Step stream: bus h (in_data[h*32 +: 32]) carries in[h][x*s + kw] of step (x, kw).
    input  logic                                   in_valid,
    input  logic                                   in_bank,
    input  logic [$clog2(KMAX+1)-1:0]              in_kw,
    input  logic [((COLS-1)*2+ROWS)*32-1:0]        in_data,
    // Pixel x of output row j in out_data[j*32 +: 32], valid only while out_valid is high.
    output logic                                   out_valid,
    output logic [COLS*32-1:0]                     out_data
);
  localparam integer KB = $clog2(KMAX + 1);  // width of k, kw and w_idx
  localparam integer N  = ROWS * COLS;
  localparam integer NY = (ROWS - 2) * (COLS - 1);  // PEs whose input is kept one more cycle

  // Step tags per row; row 0 is the port itself, row i the port delayed i cycles.
  logic [ROWS-1:0]    t_v;   // valid
  logic [ROWS-1:0]    t_b;   // weight bank
  logic [ROWS*KB-1:0] t_kw;  // kernel column
  logic [ROWS-1:0]    t_f;   // first kw of a pixel: restart the local sum
  logic [ROWS-1:0]    t_l;   // last kw of a pixel: add the partial sum from above, pass it
  logic [ROWS*2-1:0]  t_ap;
  logic [ROWS*2-1:0]  t_wp;
  logic [ROWS-1:0]    t_as;
  logic [ROWS-1:0]    t_ws;
  logic [ROWS-2:0]    t_s;   // stride; row i's operands are loaded under row i-1's tag

  logic [N*32-1:0]    x_all;   // operand of PE(i,j) in the cycle it works on it, i*COLS+j
  logic [NY*32-1:0]   y_all;   // x of PE(a,b) one cycle later, a < ROWS-2, b >= 1
  logic [N*32-1:0]    acc;     // local / partial sum of PE(i,j), i*COLS+j
  logic               out_v_q;

  logic [31:0] w_idx32;
  assign w_idx32 = {{(32 - KB){1'b0}}, w_idx};

  // ---- Step tags: row 0 from the ports, row i registered from row i-1 ----
  logic [KB-1:0] k_m1;  // k - 1: in_kw of the last step of a pixel
  assign k_m1 = k - {{(KB - 1){1'b0}}, 1'b1};
  logic [ROWS-2:0]        v_q, b_q, f_q, l_q, as_q, ws_q;
  logic [(ROWS-1)*KB-1:0] kw_q;
  logic [(ROWS-1)*2-1:0]  ap_q, wp_q;
  assign t_v  = {v_q, in_valid};
  assign t_b  = {b_q, in_bank};
  assign t_kw = {kw_q, in_kw};
  assign t_f  = {f_q, in_kw == '0};
  assign t_l  = {l_q, in_kw == k_m1};
  assign t_ap = {ap_q, a_prec};
  assign t_wp = {wp_q, w_prec};
  assign t_as = {as_q, a_signed};
  assign t_ws = {ws_q, w_signed};
  always_ff @(posedge clk) begin
    if (!rst_n) v_q <= '0;
    else v_q <= t_v[ROWS-2:0];
    b_q  <= t_b[ROWS-2:0];
    kw_q <= t_kw[(ROWS-1)*KB-1:0];
    f_q  <= t_f[ROWS-2:0];
    l_q  <= t_l[ROWS-2:0];
    ap_q <= t_ap[(ROWS-1)*2-1:0];
    wp_q <= t_wp[(ROWS-1)*2-1:0];
    as_q <= t_as[ROWS-2:0];
    ws_q <= t_ws[ROWS-2:0];
  end
  // Stride: rows 0..ROWS-2 only (row i's operands are loaded under row i-1's stride).
  logic [ROWS-3:0] s_q;
  assign t_s = {s_q, stride};
  always_ff @(posedge clk) s_q <= t_s[ROWS-3:0];

  genvar i, j, e;
  generate
    // ---- Per row: weight register file (2 banks x KMAX words) and its read port ----
    for (i = 0; i < ROWS; i = i + 1) begin : g_row
      logic [KMAX*32-1:0] rf0, rf1;
      logic [31:0]        kw32;
      logic [31:0]        w_rd;   // weight of the step row i works on
      for (e = 0; e < KMAX; e = e + 1) begin : g_ent
        always_ff @(posedge clk) begin
          if (w_we && w_idx32 == e) begin
            if (w_bank) rf1[e*32 +: 32] <= w_data[i*32 +: 32];
            else rf0[e*32 +: 32] <= w_data[i*32 +: 32];
          end
        end
      end
      assign kw32 = {{(32 - KB){1'b0}}, t_kw[i*KB +: KB]};
      always_comb begin
        w_rd = 32'd0;
        for (int n = 0; n < KMAX; n = n + 1) begin
          if (kw32 == n) w_rd = t_b[i] ? rf1[n*32 +: 32] : rf0[n*32 +: 32];
        end
      end

      // ---- PEs of row i ----
      for (j = 0; j < COLS; j = j + 1) begin : g_pe
        localparam integer P = i * COLS + j;
        logic [31:0]        xin;   // input element of the step this PE works on
        logic [31:0]        up;    // partial sum from PE(i-1,j)
        logic signed [31:0] prod;

        if (i == 0) begin : g_entry0
          // Bus j*s, no delay.
          assign xin = t_s[0] ? in_data[(2*j)*32 +: 32] : in_data[j*32 +: 32];
        end else if (j == COLS - 1) begin : g_entry_last
          // Bus (COLS-1)*s + i, muxed under the step's stride at entry, delayed i cycles.
          logic [i*32-1:0]     dl;
          logic [(i+1)*32-1:0] dl_n;  // {stages, entry}
          assign dl_n = {dl, t_s[0] ? in_data[(2*(COLS-1)+i)*32 +: 32]
                                    : in_data[(COLS-1+i)*32 +: 32]};
          always_ff @(posedge clk) dl <= dl_n[i*32-1:0];
          assign xin = dl_n[i*32 +: 32];
        end else begin : g_diag
          // s = 1: x of PE(i-1,j+1) one cycle ago. s = 2: bus 2j+1 one cycle ago (i == 1,
          // an entry PE) or x of PE(i-2,j+1) two cycles ago. Selected by the stride of the
          // step row i-1 works on now, which row i works on next cycle.
          logic [31:0] src1, src2, xq;
          assign src1 = x_all[((i-1)*COLS + j + 1)*32 +: 32];
          if (i == 1) begin : g_bus
            assign src2 = in_data[(2*j+1)*32 +: 32];
          end else begin : g_y
            assign src2 = y_all[((i-2)*(COLS-1) + j)*32 +: 32];
          end
          always_ff @(posedge clk) xq <= t_s[i-1] ? src2 : src1;
          assign xin = xq;
        end
        assign x_all[P*32 +: 32] = xin;

        // One more cycle of this input for PE(i+2, j-1) at stride 2.
        if (i < ROWS - 2 && j >= 1) begin : g_keep
          always_ff @(posedge clk) y_all[(i*(COLS-1) + j - 1)*32 +: 32] <= xin;
        end

        if (i == 0) begin : g_top
          assign up = 32'd0;
        end else begin : g_below
          assign up = acc[(P-COLS)*32 +: 32];
        end

        fusion_unit u_fu (
            .a_prec  (t_ap[i*2 +: 2]),
            .w_prec  (t_wp[i*2 +: 2]),
            .a_signed(t_as[i]),
            .w_signed(t_ws[i]),
            .a       (x_all[P*32 +: 32]),
            .w       (w_rd),
            .sum     (prod));

        // One register per PE: the running sum over kw, and after the last kw the partial
        // sum over rows 0..i, which row i+1 reads in the next cycle (when it works on the
        // same step) before this PE's next step overwrites it.
        always_ff @(posedge clk) begin
          if (t_v[i])
            acc[P*32 +: 32] <= (t_f[i] ? 32'd0 : acc[P*32 +: 32]) + prod
                               + (t_l[i] ? up : 32'd0);
        end
      end
    end

    for (j = 0; j < COLS; j = j + 1) begin : g_out
      assign out_data[j*32 +: 32] = acc[((ROWS-1)*COLS + j)*32 +: 32];
    end
  endgenerate

  always_ff @(posedge clk) begin
    if (!rst_n) out_v_q <= 1'b0;
    else out_v_q <= t_v[ROWS-1] & t_l[ROWS-1];
  end
  assign out_valid = out_v_q;
endmodule
