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

// SHIFTXOR sets each 32-bit word of X to the XOR of itself and the words
// below it (w0, w0^w1, w0^w1^w2, w0^..^w3), using T: the chaining of the
// key schedule's words within one round key.
#define SHIFTXOR(X, T) \
	MOVOU  X, T; \
	PSLLO  $4, T; \
	PXOR   T, X; \
	PSLLO  $4, T; \
	PXOR   T, X; \
	PSLLO  $4, T; \
	PXOR   T, X

// ROUNDKEY makes the round key after DST into DST and stores it at
// off(DI). AESKEYGENASSIST computes, in the AES unit, SubWord of the top
// word of SRC (word 2 of its result, selected by sel $0xaa) and
// RotWord(SubWord(...)) ^ rcon (word 3, $0xff): no table is indexed by
// key bytes. AES-128 takes SRC = DST = X0 and word 3; AES-256 alternates
// X0 and X3, each made from the other (word 3 for X0, word 2 for X3).
#define ROUNDKEY(rcon, SRC, sel, DST, off) \
	AESKEYGENASSIST $rcon, SRC, X1; \
	PSHUFD          $sel, X1, X1; \
	SHIFTXOR(DST, X2); \
	PXOR            X1, DST; \
	MOVOU           DST, off(DI)

// func expandKey128(key, enc *byte)
// Writes the 11 AES-128 encryption round keys (FIPS 197 section 5.2).
TEXT ·expandKey128(SB), NOSPLIT, $0-16
	MOVQ  key+0(FP), SI
	MOVQ  enc+8(FP), DI
	MOVOU 0(SI), X0
	MOVOU X0, 0(DI)
	ROUNDKEY(0x01, X0, 0xff, X0, 16)
	ROUNDKEY(0x02, X0, 0xff, X0, 32)
	ROUNDKEY(0x04, X0, 0xff, X0, 48)
	ROUNDKEY(0x08, X0, 0xff, X0, 64)
	ROUNDKEY(0x10, X0, 0xff, X0, 80)
	ROUNDKEY(0x20, X0, 0xff, X0, 96)
	ROUNDKEY(0x40, X0, 0xff, X0, 112)
	ROUNDKEY(0x80, X0, 0xff, X0, 128)
	ROUNDKEY(0x1b, X0, 0xff, X0, 144)
	ROUNDKEY(0x36, X0, 0xff, X0, 160)
	PXOR  X0, X0
	PXOR  X1, X1
	PXOR  X2, X2
	RET

// func expandKey256(key, enc *byte)
// Writes the 15 AES-256 encryption round keys (FIPS 197 section 5.2).
TEXT ·expandKey256(SB), NOSPLIT, $0-16
	MOVQ  key+0(FP), SI
	MOVQ  enc+8(FP), DI
	MOVOU 0(SI), X0
	MOVOU 16(SI), X3
	MOVOU X0, 0(DI)
	MOVOU X3, 16(DI)
	ROUNDKEY(0x01, X3, 0xff, X0, 32)
	ROUNDKEY(0x00, X0, 0xaa, X3, 48)
	ROUNDKEY(0x02, X3, 0xff, X0, 64)
	ROUNDKEY(0x00, X0, 0xaa, X3, 80)
	ROUNDKEY(0x04, X3, 0xff, X0, 96)
	ROUNDKEY(0x00, X0, 0xaa, X3, 112)
	ROUNDKEY(0x08, X3, 0xff, X0, 128)
	ROUNDKEY(0x00, X0, 0xaa, X3, 144)
	ROUNDKEY(0x10, X3, 0xff, X0, 160)
	ROUNDKEY(0x00, X0, 0xaa, X3, 176)
	ROUNDKEY(0x20, X3, 0xff, X0, 192)
	ROUNDKEY(0x00, X0, 0xaa, X3, 208)
	ROUNDKEY(0x40, X3, 0xff, X0, 224)
	PXOR  X0, X0
	PXOR  X1, X1
	PXOR  X2, X2
	PXOR  X3, X3
	RET

// func invMixColumns(keys *byte, n int)
// Applies InvMixColumns (AESIMC) in place to n 16-byte round keys: the
// middle round keys of the equivalent inverse cipher (FIPS 197 5.3.5).
TEXT ·invMixColumns(SB), NOSPLIT, $0-16
	MOVQ keys+0(FP), DI
	MOVQ n+8(FP), CX

imc:
	TESTQ  CX, CX
	JZ     imcdone
	MOVOU  0(DI), X0
	AESIMC X0, X0
	MOVOU  X0, 0(DI)
	ADDQ   $16, DI
	DECQ   CX
	JMP    imc

imcdone:
	PXOR X0, X0
	RET
