//go:build amd64 && !purego

#include "textflag.h"

// All kernels work on n values, n a positive multiple of 8, one ymm
// register (8 float32) at a time. They use separate multiplies and adds
// (no FMA) so that the Go versions in vec.go round identically.

// func ssLeakyAVX(x, y *float32, n int, a, b, slope float32)
TEXT ·ssLeakyAVX(SB), NOSPLIT, $0-36
	MOVQ         x+0(FP), SI
	MOVQ         y+8(FP), DI
	MOVQ         n+16(FP), CX
	VBROADCASTSS a+24(FP), Y0
	VBROADCASTSS b+28(FP), Y1
	VBROADCASTSS slope+32(FP), Y2
	VXORPS       Y3, Y3, Y3
	SHRQ         $3, CX

ssloop:
	VMOVUPS (SI), Y4
	VMULPS  Y0, Y4, Y4
	VADDPS  Y1, Y4, Y4
	VMAXPS  Y3, Y4, Y5
	VMINPS  Y3, Y4, Y6
	VMULPS  Y2, Y6, Y6
	VADDPS  Y6, Y5, Y5
	VMOVUPS Y5, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     ssloop
	VZEROUPPER
	RET

// func sumSqAVX(x *float32, n int) (s, ss float64)
TEXT ·sumSqAVX(SB), NOSPLIT, $0-32
	MOVQ   x+0(FP), SI
	MOVQ   n+8(FP), CX
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	SHRQ   $3, CX

sqloop:
	VCVTPS2PD (SI), Y4
	VCVTPS2PD 16(SI), Y5
	VADDPD    Y4, Y0, Y0
	VADDPD    Y5, Y1, Y1
	VMULPD    Y4, Y4, Y4
	VMULPD    Y5, Y5, Y5
	VADDPD    Y4, Y2, Y2
	VADDPD    Y5, Y3, Y3
	ADDQ      $32, SI
	DECQ      CX
	JNZ       sqloop

	// lanes j and j+4, then (0+2) + (1+3), as reduce8.
	VADDPD       Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPD       X1, X0, X0
	VHADDPD      X0, X0, X0
	VADDPD       Y3, Y2, Y2
	VEXTRACTF128 $1, Y2, X3
	VADDPD       X3, X2, X2
	VHADDPD      X2, X2, X2
	VZEROUPPER
	MOVSD        X0, s+16(FP)
	MOVSD        X2, ss+24(FP)
	RET

// func bnSumsAVX(dy, y, x *float32, n int, m, slope float32, mask int) (s, t float64)
TEXT ·bnSumsAVX(SB), NOSPLIT, $0-64
	MOVQ         dy+0(FP), SI
	MOVQ         y+8(FP), BX
	MOVQ         x+16(FP), DI
	MOVQ         n+24(FP), CX
	MOVQ         mask+40(FP), DX
	VBROADCASTSS m+32(FP), Y8
	VBROADCASTSS slope+36(FP), Y9
	MOVL         $0x3f800000, AX
	MOVD         AX, X10
	VBROADCASTSS X10, Y10
	VXORPS       Y11, Y11, Y11
	VXORPD       Y0, Y0, Y0
	VXORPD       Y1, Y1, Y1
	VXORPD       Y2, Y2, Y2
	VXORPD       Y3, Y3, Y3
	SHRQ         $3, CX

bsloop:
	VMOVUPS (SI), Y4
	TESTQ   DX, DX
	JZ      bsnomask
	VMOVUPS (BX), Y5
	VCMPPS  $0x1e, Y11, Y5, Y6
	VBLENDVPS Y6, Y10, Y9, Y7
	VMULPS  Y7, Y4, Y4
	ADDQ    $32, BX

bsnomask:
	VMOVUPS      (DI), Y5
	VSUBPS       Y8, Y5, Y5
	VCVTPS2PD    X4, Y12
	VEXTRACTF128 $1, Y4, X13
	VCVTPS2PD    X13, Y13
	VCVTPS2PD    X5, Y14
	VEXTRACTF128 $1, Y5, X15
	VCVTPS2PD    X15, Y15
	VADDPD       Y12, Y0, Y0
	VADDPD       Y13, Y1, Y1
	VMULPD       Y14, Y12, Y12
	VMULPD       Y15, Y13, Y13
	VADDPD       Y12, Y2, Y2
	VADDPD       Y13, Y3, Y3
	ADDQ         $32, SI
	ADDQ         $32, DI
	DECQ         CX
	JNZ          bsloop

	VADDPD       Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPD       X1, X0, X0
	VHADDPD      X0, X0, X0
	VADDPD       Y3, Y2, Y2
	VEXTRACTF128 $1, Y2, X3
	VADDPD       X3, X2, X2
	VHADDPD      X2, X2, X2
	VZEROUPPER
	MOVSD        X0, s+48(FP)
	MOVSD        X2, t+56(FP)
	RET

// func bnWriteAVX(dy, y, x, dx *float32, n int, m, a, c0, c1, slope float32, flags int)
// flags: 1 = mask through y, 2 = accumulate into dx.
TEXT ·bnWriteAVX(SB), NOSPLIT, $0-72
	MOVQ         dy+0(FP), SI
	MOVQ         y+8(FP), BX
	MOVQ         x+16(FP), DI
	MOVQ         dx+24(FP), R8
	MOVQ         n+32(FP), CX
	MOVQ         flags+64(FP), DX
	VBROADCASTSS m+40(FP), Y8
	VBROADCASTSS a+44(FP), Y12
	VBROADCASTSS c0+48(FP), Y13
	VBROADCASTSS c1+52(FP), Y14
	VBROADCASTSS slope+56(FP), Y9
	MOVL         $0x3f800000, AX
	MOVD         AX, X10
	VBROADCASTSS X10, Y10
	VXORPS       Y11, Y11, Y11
	SHRQ         $3, CX

bwloop:
	VMOVUPS (SI), Y4
	TESTQ   $1, DX
	JZ      bwnomask
	VMOVUPS (BX), Y5
	VCMPPS  $0x1e, Y11, Y5, Y6
	VBLENDVPS Y6, Y10, Y9, Y7
	VMULPS  Y7, Y4, Y4
	ADDQ    $32, BX

bwnomask:
	VMULPS  Y12, Y4, Y4
	VSUBPS  Y13, Y4, Y4
	VMOVUPS (DI), Y5
	VSUBPS  Y8, Y5, Y5
	VMULPS  Y14, Y5, Y5
	VSUBPS  Y5, Y4, Y4
	TESTQ   $2, DX
	JZ      bwstore
	VADDPS  (R8), Y4, Y4

bwstore:
	VMOVUPS Y4, (R8)
	ADDQ    $32, SI
	ADDQ    $32, DI
	ADDQ    $32, R8
	DECQ    CX
	JNZ     bwloop
	VZEROUPPER
	RET

// func leakyGradAVX(dy, y, dx *float32, n int, slope float32, acc int)
TEXT ·leakyGradAVX(SB), NOSPLIT, $0-48
	MOVQ         dy+0(FP), SI
	MOVQ         y+8(FP), BX
	MOVQ         dx+16(FP), DI
	MOVQ         n+24(FP), CX
	MOVQ         acc+40(FP), DX
	VBROADCASTSS slope+32(FP), Y9
	MOVL         $0x3f800000, AX
	MOVD         AX, X10
	VBROADCASTSS X10, Y10
	VXORPS       Y11, Y11, Y11
	SHRQ         $3, CX

lgloop:
	VMOVUPS   (SI), Y4
	VMOVUPS   (BX), Y5
	VCMPPS    $0x1e, Y11, Y5, Y6
	VBLENDVPS Y6, Y10, Y9, Y7
	VMULPS    Y7, Y4, Y4
	TESTQ     DX, DX
	JZ        lgstore
	VADDPS    (DI), Y4, Y4

lgstore:
	VMOVUPS Y4, (DI)
	ADDQ    $32, SI
	ADDQ    $32, BX
	ADDQ    $32, DI
	DECQ    CX
	JNZ     lgloop
	VZEROUPPER
	RET

// func addAVX(d, s *float32, n int)
TEXT ·addAVX(SB), NOSPLIT, $0-24
	MOVQ d+0(FP), DI
	MOVQ s+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $3, CX

addloop:
	VMOVUPS (DI), Y0
	VADDPS  (SI), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     addloop
	VZEROUPPER
	RET

// func axpbyAVX(x, y, z *float32, n int, a, b float32)
// z = a*x + b*y
TEXT ·axpbyAVX(SB), NOSPLIT, $0-40
	MOVQ         x+0(FP), SI
	MOVQ         y+8(FP), BX
	MOVQ         z+16(FP), DI
	MOVQ         n+24(FP), CX
	VBROADCASTSS a+32(FP), Y0
	VBROADCASTSS b+36(FP), Y1
	SHRQ         $3, CX

axloop:
	VMULPS  (SI), Y0, Y2
	VMULPS  (BX), Y1, Y3
	VADDPS  Y3, Y2, Y2
	VMOVUPS Y2, (DI)
	ADDQ    $32, SI
	ADDQ    $32, BX
	ADDQ    $32, DI
	DECQ    CX
	JNZ     axloop
	VZEROUPPER
	RET

// func upRowAVX(x, y *float32, blocks int)
// For i = 1 .. 8*blocks: y[2i] = 0.75 x[i] + 0.25 x[i-1],
// y[2i+1] = 0.75 x[i] + 0.25 x[i+1].
TEXT ·upRowAVX(SB), NOSPLIT, $0-24
	MOVQ         x+0(FP), SI
	MOVQ         y+8(FP), DI
	MOVQ         blocks+16(FP), CX
	MOVL         $0x3f400000, AX // 0.75
	MOVD         AX, X0
	VBROADCASTSS X0, Y0
	MOVL         $0x3e800000, AX // 0.25
	MOVD         AX, X1
	VBROADCASTSS X1, Y1
	ADDQ         $4, SI          // &x[1]
	ADDQ         $8, DI          // &y[2]

uploop:
	VMULPS     (SI), Y0, Y2    // 0.75 x[i]
	VMULPS     -4(SI), Y1, Y3  // 0.25 x[i-1]
	VMULPS     4(SI), Y1, Y4   // 0.25 x[i+1]
	VADDPS     Y3, Y2, Y3      // even
	VADDPS     Y4, Y2, Y4      // odd
	VUNPCKLPS  Y4, Y3, Y5
	VUNPCKHPS  Y4, Y3, Y6
	VPERM2F128 $0x20, Y6, Y5, Y7
	VPERM2F128 $0x31, Y6, Y5, Y8
	VMOVUPS    Y7, (DI)
	VMOVUPS    Y8, 32(DI)
	ADDQ       $32, SI
	ADDQ       $64, DI
	DECQ       CX
	JNZ        uploop
	VZEROUPPER
	RET

// func upRowTAVX(gr, d *float32, blocks int)
// For i = 1 .. 8*blocks: d[i] += 0.75 (g[2i] + g[2i+1]) + 0.25 (g[2i-1] + g[2i+2]).
TEXT ·upRowTAVX(SB), NOSPLIT, $0-24
	MOVQ         gr+0(FP), SI
	MOVQ         d+8(FP), DI
	MOVQ         blocks+16(FP), CX
	MOVL         $0x3f400000, AX
	MOVD         AX, X0
	VBROADCASTSS X0, Y0
	MOVL         $0x3e800000, AX
	MOVD         AX, X1
	VBROADCASTSS X1, Y1
	ADDQ         $8, SI // &g[2]
	ADDQ         $4, DI // &d[1]

uptloop:
	VMOVUPS (SI), Y2       // g[2i .. 2i+8)
	VMOVUPS 32(SI), Y3     // g[2i+8 .. 2i+16)
	VSHUFPS $0x88, Y3, Y2, Y4
	VPERMPD $0xd8, Y4, Y4  // E[i..i+8)
	VSHUFPS $0xdd, Y3, Y2, Y5
	VPERMPD $0xd8, Y5, Y5  // O[i..i+8)
	VADDPS  Y5, Y4, Y4     // E + O
	VMOVUPS -8(SI), Y2     // g[2i-2 ..)
	VMOVUPS 24(SI), Y3
	VSHUFPS $0xdd, Y3, Y2, Y6
	VPERMPD $0xd8, Y6, Y6  // O[i-1 ..)
	VMOVUPS 8(SI), Y2      // g[2i+2 ..)
	VMOVUPS 40(SI), Y3
	VSHUFPS $0x88, Y3, Y2, Y7
	VPERMPD $0xd8, Y7, Y7  // E[i+1 ..)
	VADDPS  Y7, Y6, Y6     // O[i-1] + E[i+1]
	VMULPS  Y0, Y4, Y4
	VMULPS  Y1, Y6, Y6
	VADDPS  Y6, Y4, Y4
	VADDPS  (DI), Y4, Y4
	VMOVUPS Y4, (DI)
	ADDQ    $64, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     uptloop
	VZEROUPPER
	RET

// func adamAVX(p, gr, m, v *float32, n int, c *[8]float32)
// c = {wd, b1, 1-b1, b2, 1-b2, bc2s, eps, step}:
// g' = g + wd p; m = b1 m + (1-b1) g'; v = b2 v + (1-b2) (g' g');
// p = p - step (m / (sqrt(v) / bc2s + eps)).
TEXT ·adamAVX(SB), NOSPLIT, $0-48
	MOVQ         p+0(FP), DI
	MOVQ         gr+8(FP), SI
	MOVQ         m+16(FP), BX
	MOVQ         v+24(FP), DX
	MOVQ         n+32(FP), CX
	MOVQ         c+40(FP), AX
	VBROADCASTSS 0(AX), Y8
	VBROADCASTSS 4(AX), Y9
	VBROADCASTSS 8(AX), Y10
	VBROADCASTSS 12(AX), Y11
	VBROADCASTSS 16(AX), Y12
	VBROADCASTSS 20(AX), Y13
	VBROADCASTSS 24(AX), Y14
	VBROADCASTSS 28(AX), Y15
	SHRQ         $3, CX

adamloop:
	VMOVUPS (DI), Y0     // p
	VMULPS  Y8, Y0, Y1
	VADDPS  (SI), Y1, Y1 // g' = wd p + g
	VMULPS  (BX), Y9, Y2 // b1 m
	VMULPS  Y10, Y1, Y3  // (1-b1) g'
	VADDPS  Y3, Y2, Y2   // m
	VMOVUPS Y2, (BX)
	VMULPS  Y1, Y1, Y3   // g' g'
	VMULPS  Y12, Y3, Y3  // (1-b2) g'g'
	VMULPS  (DX), Y11, Y4
	VADDPS  Y3, Y4, Y4   // v
	VMOVUPS Y4, (DX)
	VSQRTPS Y4, Y4
	VDIVPS  Y13, Y4, Y4
	VADDPS  Y14, Y4, Y4  // denominator
	VDIVPS  Y4, Y2, Y2   // m / den
	VMULPS  Y15, Y2, Y2
	VSUBPS  Y2, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	ADDQ    $32, BX
	ADDQ    $32, DX
	DECQ    CX
	JNZ     adamloop
	VZEROUPPER
	RET
