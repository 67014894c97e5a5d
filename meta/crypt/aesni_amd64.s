//go:build !purego

#include "textflag.h"

// func decryptECB(nr int, dk *byte, dst, src *byte, n int)
// Decrypts n 16-byte blocks with AES-NI, eight at a time so the AESDEC
// latencies overlap. dk holds the nr+1 decryption round keys.
TEXT ·decryptECB(SB), NOSPLIT, $0-40
	MOVQ nr+0(FP), CX
	MOVQ dk+8(FP), AX
	MOVQ dst+16(FP), DI
	MOVQ src+24(FP), SI
	MOVQ n+32(FP), DX

loop8:
	CMPQ DX, $8
	JB   loop1
	MOVOU 0(SI), X0
	MOVOU 16(SI), X1
	MOVOU 32(SI), X2
	MOVOU 48(SI), X3
	MOVOU 64(SI), X4
	MOVOU 80(SI), X5
	MOVOU 96(SI), X6
	MOVOU 112(SI), X7
	MOVOU 0(AX), X8
	PXOR  X8, X0
	PXOR  X8, X1
	PXOR  X8, X2
	PXOR  X8, X3
	PXOR  X8, X4
	PXOR  X8, X5
	PXOR  X8, X6
	PXOR  X8, X7
	LEAQ  16(AX), BX
	MOVQ  CX, R8
	DECQ  R8

rounds8:
	MOVOU  0(BX), X8
	AESDEC X8, X0
	AESDEC X8, X1
	AESDEC X8, X2
	AESDEC X8, X3
	AESDEC X8, X4
	AESDEC X8, X5
	AESDEC X8, X6
	AESDEC X8, X7
	ADDQ   $16, BX
	DECQ   R8
	JNZ    rounds8
	MOVOU      0(BX), X8
	AESDECLAST X8, X0
	AESDECLAST X8, X1
	AESDECLAST X8, X2
	AESDECLAST X8, X3
	AESDECLAST X8, X4
	AESDECLAST X8, X5
	AESDECLAST X8, X6
	AESDECLAST X8, X7
	MOVOU X0, 0(DI)
	MOVOU X1, 16(DI)
	MOVOU X2, 32(DI)
	MOVOU X3, 48(DI)
	MOVOU X4, 64(DI)
	MOVOU X5, 80(DI)
	MOVOU X6, 96(DI)
	MOVOU X7, 112(DI)
	ADDQ  $128, SI
	ADDQ  $128, DI
	SUBQ  $8, DX
	JMP   loop8

loop1:
	TESTQ DX, DX
	JZ    done
	MOVOU 0(SI), X0
	MOVOU 0(AX), X8
	PXOR  X8, X0
	LEAQ  16(AX), BX
	MOVQ  CX, R8
	DECQ  R8

rounds1:
	MOVOU  0(BX), X8
	AESDEC X8, X0
	ADDQ   $16, BX
	DECQ   R8
	JNZ    rounds1
	MOVOU      0(BX), X8
	AESDECLAST X8, X0
	MOVOU X0, 0(DI)
	ADDQ  $16, SI
	ADDQ  $16, DI
	DECQ  DX
	JMP   loop1

done:
	RET
