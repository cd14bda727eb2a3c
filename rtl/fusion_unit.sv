// Fusion unit: BitFusion's bit-flexible multiply-accumulate core (Sharma et al., ISCA 2018).
//
// 16 BitBricks (2-bit x 2-bit multipliers) in a 4x4 grid plus a shift-add tree. One cycle
// computes pf = (8/A) * (8/W) products of A-bit activations by W-bit weights and sums them:
//
//   A, W   in {2, 4, 8}          (prec code 0: 2-bit, 1: 4-bit, 2 or 3: 8-bit)
//   a_k  = a[k*A +: A]         w_k = w[k*W +: W]         k < pf, LSB first
//   sum  = sum_{k < pf} a_k * w_k,  a_k / w_k two's complement when a_signed / w_signed
//
// pf is 1 at 8x8, 2 at 8x4, 4 at 8x2 and 4x4, 8 at 4x2, 16 at 2x2. Bits of a above pf*A and
// of w above pf*W are ignored. The design is purely combinational.
//
// Brick mapping. Every value is split into 2-bit slices: na = A/2 per activation, nw = W/2
// per weight. Brick (r, c), r (row) and c (column) in 0..3:
//   product  k = (r / na) * (4 / nw) + (c / nw)
//   x input  = activation slice i = r % na of a_k:  a[k*A + 2*i +: 2]
//   y input  = weight slice     j = c % nw of w_k:  w[k*W + 2*j +: 2]
//   sx       = a_signed && (i == na - 1)     (only a value's top slice carries its sign)
//   sy       = w_signed && (j == nw - 1)
//   weight   = brick product << (2*i + 2*j), sign-extended; all 16 terms are summed.
// So at 8x8 the four rows hold the activation's slices and the four columns the weight's
// slices of the single product; at 2x2 every brick is a whole product, k = 4*r + c.
//
// Term widths: a brick product is 6-bit signed (-6..9) and the largest shift is 12, so a
// term fits 18 bits signed; the 4-level adder tree grows one bit per level (19..22 bits),
// then sign-extends to the 32-bit sum.
module fusion_unit (
  input  logic [1:0]         a_prec,   // 0: 2-bit, 1: 4-bit, 2: 8-bit (3 behaves as 8-bit)
  input  logic [1:0]         w_prec,
  input  logic               a_signed, // activations are two's-complement when 1
  input  logic               w_signed,
  input  logic [31:0]        a,        // pf activations, LSB first: a_k = a[k*A +: A]
  input  logic [31:0]        w,        // pf weights,     LSB first: w_k = w[k*W +: W]
  output logic signed [31:0] sum       // sum over k < pf of a_k * w_k
);
  localparam int TW = 18;  // width of one shifted brick term

  // Bit offset of brick (r, c)'s activation slice, with na / nw slices per value.
  function automatic int a_off(input int r, input int c, input int na, input int nw);
    a_off = ((r / na) * (4 / nw) + c / nw) * 2 * na + 2 * (r % na);
  endfunction

  // Bit offset of brick (r, c)'s weight slice.
  function automatic int w_off(input int r, input int c, input int na, input int nw);
    w_off = ((r / na) * (4 / nw) + c / nw) * 2 * nw + 2 * (c % nw);
  endfunction

  // Precision codes with 3 folded onto 2 (8-bit): ap, wp in 0..2.
  logic [1:0] ap;
  logic [1:0] wp;
  assign ap = a_prec[1] ? 2'd2 : a_prec;
  assign wp = w_prec[1] ? 2'd2 : w_prec;

  // Shifted, sign-extended brick terms; brick (r, c) at index 4*r + c.
  logic [16*TW-1:0] terms;

  for (genvar r = 0; r < 4; r++) begin : g_row
    for (genvar c = 0; c < 4; c++) begin : g_col
      // Slice offsets for every precision pair, XO<ap><wp> / YO<ap><wp>.
      localparam int XO00 = a_off(r, c, 1, 1);
      localparam int XO01 = a_off(r, c, 1, 2);
      localparam int XO02 = a_off(r, c, 1, 4);
      localparam int XO10 = a_off(r, c, 2, 1);
      localparam int XO11 = a_off(r, c, 2, 2);
      localparam int XO12 = a_off(r, c, 2, 4);
      localparam int XO20 = a_off(r, c, 4, 1);
      localparam int XO21 = a_off(r, c, 4, 2);
      localparam int XO22 = a_off(r, c, 4, 4);
      localparam int YO00 = w_off(r, c, 1, 1);
      localparam int YO01 = w_off(r, c, 1, 2);
      localparam int YO02 = w_off(r, c, 1, 4);
      localparam int YO10 = w_off(r, c, 2, 1);
      localparam int YO11 = w_off(r, c, 2, 2);
      localparam int YO12 = w_off(r, c, 2, 4);
      localparam int YO20 = w_off(r, c, 4, 1);
      localparam int YO21 = w_off(r, c, 4, 2);
      localparam int YO22 = w_off(r, c, 4, 4);

      logic [1:0]        xs;
      logic [1:0]        ys;
      logic              sx;
      logic              sy;
      logic signed [5:0] p;
      logic [TW-1:0]     p_ext;
      logic [TW-1:0]     p_a;   // shifted by the activation slice weight 2*i
      logic [TW-1:0]     term;  // and by the weight slice weight 2*j

      always_comb begin
        unique case ({ap, wp})
          {2'd0, 2'd0}: begin xs = a[XO00 +: 2]; ys = w[YO00 +: 2]; end
          {2'd0, 2'd1}: begin xs = a[XO01 +: 2]; ys = w[YO01 +: 2]; end
          {2'd0, 2'd2}: begin xs = a[XO02 +: 2]; ys = w[YO02 +: 2]; end
          {2'd1, 2'd0}: begin xs = a[XO10 +: 2]; ys = w[YO10 +: 2]; end
          {2'd1, 2'd1}: begin xs = a[XO11 +: 2]; ys = w[YO11 +: 2]; end
          {2'd1, 2'd2}: begin xs = a[XO12 +: 2]; ys = w[YO12 +: 2]; end
          {2'd2, 2'd0}: begin xs = a[XO20 +: 2]; ys = w[YO20 +: 2]; end
          {2'd2, 2'd1}: begin xs = a[XO21 +: 2]; ys = w[YO21 +: 2]; end
          default:      begin xs = a[XO22 +: 2]; ys = w[YO22 +: 2]; end
        endcase
      end

      // Slice index i = r % na: the top slice (i == na - 1) carries the sign.
      always_comb begin
        unique case (ap)
          2'd0:    sx = a_signed;
          2'd1:    sx = a_signed & ((r % 2) == 1);
          default: sx = a_signed & (r == 3);
        endcase
        unique case (wp)
          2'd0:    sy = w_signed;
          2'd1:    sy = w_signed & ((c % 2) == 1);
          default: sy = w_signed & (c == 3);
        endcase
      end

      bitbrick u_brick (
        .x (xs),
        .y (ys),
        .sx(sx),
        .sy(sy),
        .p (p)
      );

      assign p_ext = {{(TW - 6){p[5]}}, p};

      always_comb begin
        unique case (ap)
          2'd0:    p_a = p_ext;
          2'd1:    p_a = p_ext << (2 * (r % 2));
          default: p_a = p_ext << (2 * r);
        endcase
        unique case (wp)
          2'd0:    term = p_a;
          2'd1:    term = p_a << (2 * (c % 2));
          default: term = p_a << (2 * c);
        endcase
      end

      assign terms[(4 * r + c) * TW +: TW] = term;
    end
  end

  // Adder tree, 16 -> 8 -> 4 -> 2 -> 1, sign-extending one bit per level.
  localparam int W1 = TW + 1;
  localparam int W2 = TW + 2;
  localparam int W3 = TW + 3;
  localparam int W4 = TW + 4;

  logic [8*W1-1:0] s1;
  logic [4*W2-1:0] s2;
  logic [2*W3-1:0] s3;
  logic [W4-1:0]   s4;

  for (genvar n = 0; n < 8; n++) begin : g_s1
    assign s1[n*W1 +: W1] = {terms[(2*n+1)*TW - 1], terms[(2*n)*TW +: TW]}
                          + {terms[(2*n+2)*TW - 1], terms[(2*n+1)*TW +: TW]};
  end
  for (genvar n = 0; n < 4; n++) begin : g_s2
    assign s2[n*W2 +: W2] = {s1[(2*n+1)*W1 - 1], s1[(2*n)*W1 +: W1]}
                          + {s1[(2*n+2)*W1 - 1], s1[(2*n+1)*W1 +: W1]};
  end
  for (genvar n = 0; n < 2; n++) begin : g_s3
    assign s3[n*W3 +: W3] = {s2[(2*n+1)*W2 - 1], s2[(2*n)*W2 +: W2]}
                          + {s2[(2*n+2)*W2 - 1], s2[(2*n+1)*W2 +: W2]};
  end
  assign s4 = {s3[W3 - 1], s3[0 +: W3]} + {s3[2*W3 - 1], s3[W3 +: W3]};

  assign sum = {{(32 - W4){s4[W4-1]}}, s4};
endmodule
