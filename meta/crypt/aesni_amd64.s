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

// NEXT128 makes the AES-128 round key after X0 (rcon is the round's
// constant) into X0 and stores it at off(DI). AESKEYGENASSIST gives
// RotWord(SubWord(w3)) ^ rcon in its top word, computed by the AES unit:
// no table is indexed by key bytes.
#define NEXT128(rcon, off) \
	AESKEYGENASSIST $rcon, X0, X1; \
	PSHUFD          $0xff, X1, X1; \
	SHIFTXOR(X0, X2); \
	PXOR            X1, X0; \
	MOVOU           X0, off(DI)

// func expandKey128(key, enc *byte)
// Writes the 11 AES-128 encryption round keys (FIPS 197 section 5.2).
TEXT ·expandKey128(SB), NOSPLIT, $0-16
	MOVQ  key+0(FP), SI
	MOVQ  enc+8(FP), DI
	MOVOU 0(SI), X0
	MOVOU X0, 0(DI)
	NEXT128(0x01, 16)
	NEXT128(0x02, 32)
	NEXT128(0x04, 48)
	NEXT128(0x08, 64)
	NEXT128(0x10, 80)
	NEXT128(0x20, 96)
	NEXT128(0x40, 112)
	NEXT128(0x80, 128)
	NEXT128(0x1b, 144)
	NEXT128(0x36, 160)
	PXOR  X0, X0
	PXOR  X1, X1
	PXOR  X2, X2
	RET

// NEXT256A makes the even AES-256 round key (from X0, with the top word
// of X3 rotated, substituted and XORed with rcon) into X0, at off(DI).
#define NEXT256A(rcon, off) \
	AESKEYGENASSIST $rcon, X3, X1; \
	PSHUFD          $0xff, X1, X1; \
	SHIFTXOR(X0, X2); \
	PXOR            X1, X0; \
	MOVOU           X0, off(DI)

// NEXT256B makes the odd one (from X3, with the top word of X0 only
// substituted: word 2 of AESKEYGENASSIST's result) into X3, at off(DI).
#define NEXT256B(off) \
	AESKEYGENASSIST $0x00, X0, X1; \
	PSHUFD          $0xaa, X1, X1; \
	SHIFTXOR(X3, X2); \
	PXOR            X1, X3; \
	MOVOU           X3, off(DI)

// func expandKey256(key, enc *byte)
// Writes the 15 AES-256 encryption round keys (FIPS 197 section 5.2).
TEXT ·expandKey256(SB), NOSPLIT, $0-16
	MOVQ  key+0(FP), SI
	MOVQ  enc+8(FP), DI
	MOVOU 0(SI), X0
	MOVOU 16(SI), X3
	MOVOU X0, 0(DI)
	MOVOU X3, 16(DI)
	NEXT256A(0x01, 32)
	NEXT256B(48)
	NEXT256A(0x02, 64)
	NEXT256B(80)
	NEXT256A(0x04, 96)
	NEXT256B(112)
	NEXT256A(0x08, 128)
	NEXT256B(144)
	NEXT256A(0x10, 160)
	NEXT256B(176)
	NEXT256A(0x20, 192)
	NEXT256B(208)
	NEXT256A(0x40, 224)
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
