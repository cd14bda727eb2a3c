// BitBrick: BitFusion's 2-bit x 2-bit multiplier (Sharma et al., ISCA 2018).
//
// Each operand is extended to 3 bits with a sign bit that is the operand's MSB when its
// sign input is set and zero otherwise, then read as two's complement:
//   sx = 0: x is unsigned, 0..3        sx = 1: x is signed, -2..1   (same for y, sy)
// p = x * y, range -6..9, exact in 6-bit two's complement. Purely combinational.
module bitbrick (
  input  logic [1:0]        x,
  input  logic [1:0]        y,
  input  logic              sx,
  input  logic              sy,
  output logic signed [5:0] p
);
  // 3-bit extended operands.
  logic signed [2:0] xe;
  logic signed [2:0] ye;
  assign xe = {sx & x[1], x};
  assign ye = {sy & y[1], y};

  // Sign-extend to the product width first so the multiply is exact at 6 bits.
  logic signed [5:0] xw;
  logic signed [5:0] yw;
  assign xw = {{3{xe[2]}}, xe};
  assign yw = {{3{ye[2]}}, ye};
  assign p  = xw * yw;
endmodule
