/*
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of iSCSI (RFC 3720) and of
 * S3's flexible checksums (x-amz-checksum-crc32c). The SSE4.2 crc32 instruction when the CPU has
 * it (checked at run time), else slice-by-8 tables.
 */
#ifndef PRESTIGE_CORE_CRC32C_H
#define PRESTIGE_CORE_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Continues crc (0 to start) over data[0..len): crc32c_update(crc32c_update(0, a), b) is the CRC
 * of a followed by b. */
uint32_t crc32c_update(uint32_t crc, const void *data, size_t len);
/* The portable path alone (tests compare it with the hardware one). */
uint32_t crc32c_update_sw(uint32_t crc, const void *data, size_t len);
/* 1 when crc32c_update uses the CPU instruction. */
int crc32c_hw(void);
/* S3's text form of a 32-bit checksum: base64 of its 4 big-endian bytes ("yZRlqg=="). */
void crc32c_base64(uint32_t crc, char out[9]);

#endif
