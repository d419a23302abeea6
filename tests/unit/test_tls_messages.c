/* test_tls_messages.c — handshake message parsers against hellos, a
 * HelloRetryRequest and certificate chains captured from OpenSSL 3.0
 * (s_server / s_client -msg on 127.0.0.1), plus hand-built malformed,
 * truncated and oversized messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dissectors/tls_messages.h"

/* ---- captured messages -------------------------------------------------- */

/* >>> client to server, <<< server to client. The expected values in the
 * tests below were read off tshark's decoding of the same bytes. */

/* >>> ClientHello (331 bytes with the 4-byte header),
 * TLS 1.3 run: -servername test.example -alpn h2,http/1.1 */
static const uint8_t ch13[] = {
    0x01, 0x00, 0x01, 0x47, 0x03, 0x03, 0xb7, 0x44, 0xc1, 0x32, 0x1a, 0x5f,
    0x18, 0x48, 0x9c, 0x79, 0x9a, 0xee, 0xa2, 0xc8, 0x19, 0xd1, 0xc1, 0x3b,
    0x7c, 0xc3, 0xda, 0x28, 0x6f, 0x76, 0x16, 0x04, 0x26, 0x41, 0x66, 0x6e,
    0x04, 0x34, 0x20, 0x9d, 0x04, 0xd0, 0x36, 0xf7, 0xff, 0x7d, 0xe6, 0xe3,
    0x38, 0x7c, 0xcd, 0x93, 0x72, 0xe4, 0x27, 0x82, 0xd4, 0x15, 0x7d, 0x9a,
    0x3e, 0xe9, 0xd1, 0xb9, 0x80, 0x32, 0x07, 0x52, 0x17, 0xce, 0xcc, 0x00,
    0x3e, 0x13, 0x02, 0x13, 0x03, 0x13, 0x01, 0xc0, 0x2c, 0xc0, 0x30, 0x00,
    0x9f, 0xcc, 0xa9, 0xcc, 0xa8, 0xcc, 0xaa, 0xc0, 0x2b, 0xc0, 0x2f, 0x00,
    0x9e, 0xc0, 0x24, 0xc0, 0x28, 0x00, 0x6b, 0xc0, 0x23, 0xc0, 0x27, 0x00,
    0x67, 0xc0, 0x0a, 0xc0, 0x14, 0x00, 0x39, 0xc0, 0x09, 0xc0, 0x13, 0x00,
    0x33, 0x00, 0x9d, 0x00, 0x9c, 0x00, 0x3d, 0x00, 0x3c, 0x00, 0x35, 0x00,
    0x2f, 0x00, 0xff, 0x01, 0x00, 0x00, 0xc0, 0x00, 0x00, 0x00, 0x11, 0x00,
    0x0f, 0x00, 0x00, 0x0c, 0x74, 0x65, 0x73, 0x74, 0x2e, 0x65, 0x78, 0x61,
    0x6d, 0x70, 0x6c, 0x65, 0x00, 0x0b, 0x00, 0x04, 0x03, 0x00, 0x01, 0x02,
    0x00, 0x0a, 0x00, 0x16, 0x00, 0x14, 0x00, 0x1d, 0x00, 0x17, 0x00, 0x1e,
    0x00, 0x19, 0x00, 0x18, 0x01, 0x00, 0x01, 0x01, 0x01, 0x02, 0x01, 0x03,
    0x01, 0x04, 0x00, 0x23, 0x00, 0x00, 0x00, 0x10, 0x00, 0x0e, 0x00, 0x0c,
    0x02, 0x68, 0x32, 0x08, 0x68, 0x74, 0x74, 0x70, 0x2f, 0x31, 0x2e, 0x31,
    0x00, 0x16, 0x00, 0x00, 0x00, 0x17, 0x00, 0x00, 0x00, 0x0d, 0x00, 0x2a,
    0x00, 0x28, 0x04, 0x03, 0x05, 0x03, 0x06, 0x03, 0x08, 0x07, 0x08, 0x08,
    0x08, 0x09, 0x08, 0x0a, 0x08, 0x0b, 0x08, 0x04, 0x08, 0x05, 0x08, 0x06,
    0x04, 0x01, 0x05, 0x01, 0x06, 0x01, 0x03, 0x03, 0x03, 0x01, 0x03, 0x02,
    0x04, 0x02, 0x05, 0x02, 0x06, 0x02, 0x00, 0x2b, 0x00, 0x09, 0x08, 0x03,
    0x04, 0x03, 0x03, 0x03, 0x02, 0x03, 0x01, 0x00, 0x2d, 0x00, 0x02, 0x01,
    0x01, 0x00, 0x33, 0x00, 0x26, 0x00, 0x24, 0x00, 0x1d, 0x00, 0x20, 0xff,
    0x89, 0xdd, 0xd6, 0xfc, 0x6d, 0xf5, 0x65, 0x42, 0x79, 0xb7, 0x65, 0xef,
    0x9b, 0xf2, 0x4c, 0x0d, 0x07, 0x89, 0xa3, 0x4f, 0x07, 0xaf, 0xf2, 0xbc,
    0xc4, 0x50, 0xc1, 0x65, 0xcb, 0x64, 0x3f,
};

/* <<< ServerHello (122 bytes with the 4-byte header),
 * TLS 1.3 run: -servername test.example -alpn h2,http/1.1 */
static const uint8_t sh13[] = {
    0x02, 0x00, 0x00, 0x76, 0x03, 0x03, 0x20, 0xba, 0x4d, 0x6a, 0x19, 0x3e,
    0x3a, 0x79, 0x3a, 0x23, 0x91, 0x92, 0x37, 0xb3, 0xba, 0x00, 0x2f, 0x78,
    0x24, 0x46, 0x01, 0xd0, 0x7b, 0xd1, 0x9b, 0xc5, 0x24, 0xfc, 0x9f, 0x36,
    0x6e, 0x14, 0x20, 0x9d, 0x04, 0xd0, 0x36, 0xf7, 0xff, 0x7d, 0xe6, 0xe3,
    0x38, 0x7c, 0xcd, 0x93, 0x72, 0xe4, 0x27, 0x82, 0xd4, 0x15, 0x7d, 0x9a,
    0x3e, 0xe9, 0xd1, 0xb9, 0x80, 0x32, 0x07, 0x52, 0x17, 0xce, 0xcc, 0x13,
    0x02, 0x00, 0x00, 0x2e, 0x00, 0x2b, 0x00, 0x02, 0x03, 0x04, 0x00, 0x33,
    0x00, 0x24, 0x00, 0x1d, 0x00, 0x20, 0xb9, 0x7c, 0xb5, 0xca, 0xa6, 0x5d,
    0x74, 0x80, 0x6f, 0x13, 0x3f, 0x42, 0x48, 0xfe, 0x49, 0xca, 0x00, 0x0c,
    0x7f, 0xde, 0x6e, 0x8a, 0xad, 0x5f, 0xc1, 0x03, 0x4a, 0x91, 0x87, 0xf8,
    0x96, 0x0d,
};

/* <<< Certificate (696 bytes with the 4-byte header),
 * TLS 1.3 run: -servername test.example -alpn h2,http/1.1 */
static const uint8_t cert13[] = {
    0x0b, 0x00, 0x02, 0xb4, 0x00, 0x00, 0x02, 0xb0, 0x00, 0x01, 0x28, 0x30,
    0x82, 0x01, 0x24, 0x30, 0x81, 0xca, 0x02, 0x14, 0x0a, 0xd4, 0x07, 0x65,
    0xde, 0x66, 0x8b, 0x4a, 0x17, 0xc7, 0x05, 0x75, 0x25, 0x5e, 0x86, 0x06,
    0x3a, 0x00, 0x3e, 0xbe, 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
    0x3d, 0x04, 0x03, 0x02, 0x30, 0x12, 0x31, 0x10, 0x30, 0x0e, 0x06, 0x03,
    0x55, 0x04, 0x03, 0x0c, 0x07, 0x54, 0x65, 0x73, 0x74, 0x20, 0x43, 0x41,
    0x30, 0x1e, 0x17, 0x0d, 0x32, 0x36, 0x31, 0x31, 0x32, 0x32, 0x32, 0x32,
    0x32, 0x31, 0x33, 0x34, 0x5a, 0x17, 0x0d, 0x33, 0x36, 0x31, 0x31, 0x31,
    0x39, 0x32, 0x32, 0x32, 0x31, 0x33, 0x34, 0x5a, 0x30, 0x17, 0x31, 0x15,
    0x30, 0x13, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x0c, 0x74, 0x65, 0x73,
    0x74, 0x2e, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x30, 0x59, 0x30,
    0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08,
    0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04,
    0xa5, 0xdd, 0x41, 0xab, 0xd8, 0x5a, 0x62, 0x64, 0xa4, 0x52, 0x65, 0x10,
    0x6a, 0xab, 0xf1, 0xf4, 0x12, 0x66, 0xa6, 0xf3, 0x67, 0x24, 0x29, 0x40,
    0x87, 0x14, 0x8c, 0xf6, 0xae, 0x0d, 0x3f, 0xef, 0xe6, 0x79, 0xdb, 0xc6,
    0x84, 0x39, 0xe1, 0xcd, 0x50, 0xbf, 0x61, 0xbe, 0x06, 0x22, 0xdf, 0xf1,
    0x03, 0xa3, 0xa9, 0xea, 0xd0, 0xca, 0x3d, 0x01, 0xe0, 0x84, 0x02, 0x30,
    0x54, 0x37, 0x00, 0xf9, 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
    0x3d, 0x04, 0x03, 0x02, 0x03, 0x49, 0x00, 0x30, 0x46, 0x02, 0x21, 0x00,
    0xbe, 0xf3, 0x6b, 0xa1, 0x11, 0x17, 0xad, 0x72, 0x81, 0xfc, 0xfa, 0x82,
    0xf4, 0x54, 0x9e, 0x8b, 0xd3, 0x11, 0x83, 0xd1, 0xb2, 0x93, 0x35, 0x65,
    0xeb, 0x3f, 0xd7, 0x27, 0x1b, 0x86, 0x6c, 0x74, 0x02, 0x21, 0x00, 0xd4,
    0x94, 0xd6, 0x5c, 0x40, 0x66, 0x99, 0xe1, 0xc5, 0x11, 0xb0, 0xe8, 0x32,
    0x7b, 0x71, 0x09, 0xf2, 0xf5, 0x7d, 0x04, 0x3e, 0x98, 0x13, 0xa4, 0x94,
    0xee, 0x3c, 0xc0, 0xcf, 0x4e, 0xf9, 0x3a, 0x00, 0x00, 0x00, 0x01, 0x7e,
    0x30, 0x82, 0x01, 0x7a, 0x30, 0x82, 0x01, 0x1f, 0xa0, 0x03, 0x02, 0x01,
    0x02, 0x02, 0x14, 0x38, 0xc7, 0xa6, 0x73, 0x0e, 0x62, 0xcf, 0xa1, 0xe6,
    0xd7, 0x4c, 0xc0, 0xc6, 0x6d, 0xa3, 0xbb, 0xe5, 0x0e, 0x0e, 0xc5, 0x30,
    0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02, 0x30,
    0x12, 0x31, 0x10, 0x30, 0x0e, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x07,
    0x54, 0x65, 0x73, 0x74, 0x20, 0x43, 0x41, 0x30, 0x1e, 0x17, 0x0d, 0x32,
    0x36, 0x31, 0x31, 0x32, 0x32, 0x32, 0x32, 0x32, 0x31, 0x33, 0x34, 0x5a,
    0x17, 0x0d, 0x33, 0x36, 0x31, 0x31, 0x31, 0x39, 0x32, 0x32, 0x32, 0x31,
    0x33, 0x34, 0x5a, 0x30, 0x12, 0x31, 0x10, 0x30, 0x0e, 0x06, 0x03, 0x55,
    0x04, 0x03, 0x0c, 0x07, 0x54, 0x65, 0x73, 0x74, 0x20, 0x43, 0x41, 0x30,
    0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
    0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42,
    0x00, 0x04, 0xcd, 0x13, 0x53, 0x1f, 0x54, 0xf8, 0xf9, 0x62, 0x84, 0xdb,
    0x60, 0x70, 0x99, 0xca, 0x25, 0x42, 0x09, 0xdd, 0x40, 0xfe, 0x5e, 0x43,
    0xe3, 0x4d, 0xaf, 0x32, 0x8b, 0x12, 0xb4, 0xbc, 0x0e, 0x6e, 0xe7, 0xda,
    0x5e, 0x63, 0xf5, 0x43, 0x5d, 0x56, 0x39, 0x70, 0x95, 0x3d, 0x8e, 0x35,
    0x30, 0xda, 0x5a, 0x57, 0xe1, 0x79, 0x00, 0xcb, 0xa8, 0x4a, 0xcc, 0xd2,
    0xaf, 0xdf, 0x59, 0x6f, 0x52, 0xdd, 0xa3, 0x53, 0x30, 0x51, 0x30, 0x1d,
    0x06, 0x03, 0x55, 0x1d, 0x0e, 0x04, 0x16, 0x04, 0x14, 0xfe, 0x67, 0x04,
    0xd7, 0x31, 0x0d, 0x15, 0xfd, 0x82, 0xc7, 0xaa, 0xed, 0x19, 0xa4, 0xfc,
    0xde, 0x9f, 0xa6, 0xfb, 0x7b, 0x30, 0x1f, 0x06, 0x03, 0x55, 0x1d, 0x23,
    0x04, 0x18, 0x30, 0x16, 0x80, 0x14, 0xfe, 0x67, 0x04, 0xd7, 0x31, 0x0d,
    0x15, 0xfd, 0x82, 0xc7, 0xaa, 0xed, 0x19, 0xa4, 0xfc, 0xde, 0x9f, 0xa6,
    0xfb, 0x7b, 0x30, 0x0f, 0x06, 0x03, 0x55, 0x1d, 0x13, 0x01, 0x01, 0xff,
    0x04, 0x05, 0x30, 0x03, 0x01, 0x01, 0xff, 0x30, 0x0a, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02, 0x03, 0x49, 0x00, 0x30, 0x46,
    0x02, 0x21, 0x00, 0xa7, 0x4f, 0xc3, 0x11, 0x17, 0xfb, 0xfc, 0x2e, 0x6e,
    0x41, 0x1d, 0x15, 0xc7, 0xc4, 0x3e, 0x82, 0xee, 0x67, 0xca, 0xa6, 0x79,
    0x46, 0xf8, 0x60, 0x62, 0x94, 0xb1, 0xd3, 0x99, 0x13, 0x84, 0x2b, 0x02,
    0x21, 0x00, 0xc5, 0x03, 0xa7, 0x83, 0xbe, 0xfb, 0x3e, 0xd8, 0x72, 0x2e,
    0x01, 0xef, 0xfe, 0xad, 0x75, 0xac, 0x05, 0x93, 0x94, 0x03, 0x71, 0xd8,
    0xee, 0xff, 0xed, 0x16, 0xdc, 0x2e, 0xc7, 0x1c, 0x72, 0x2f, 0x00, 0x00,
};

/* <<< ServerHello (88 bytes with the 4-byte header),
 * HRR run: client -groups X25519:P-256, server -groups P-256 */
static const uint8_t hrr[] = {
    0x02, 0x00, 0x00, 0x54, 0x03, 0x03, 0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a,
    0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2,
    0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8,
    0x33, 0x9c, 0x20, 0x46, 0x3c, 0xc3, 0x2d, 0x69, 0xca, 0x0a, 0x10, 0xeb,
    0x76, 0x74, 0x3c, 0x95, 0xc4, 0x27, 0x7c, 0x20, 0xcd, 0xa3, 0x06, 0x88,
    0x42, 0x0e, 0x99, 0x74, 0x0d, 0x48, 0xeb, 0x56, 0x9e, 0x23, 0xe9, 0x13,
    0x02, 0x00, 0x00, 0x0c, 0x00, 0x2b, 0x00, 0x02, 0x03, 0x04, 0x00, 0x33,
    0x00, 0x02, 0x00, 0x17,
};

/* >>> ClientHello (329 bytes with the 4-byte header),
 * HRR run: client -groups X25519:P-256, server -groups P-256 */
static const uint8_t ch13_after_hrr[] = {
    0x01, 0x00, 0x01, 0x45, 0x03, 0x03, 0x72, 0x13, 0x11, 0xd4, 0xbf, 0xf7,
    0x8f, 0x49, 0xb3, 0x0e, 0xd8, 0x51, 0xea, 0x80, 0x7b, 0x6b, 0x1e, 0x84,
    0x68, 0x42, 0x57, 0x8b, 0x1b, 0x66, 0xdd, 0x69, 0xc6, 0x92, 0x7c, 0x82,
    0x3d, 0x9b, 0x20, 0x46, 0x3c, 0xc3, 0x2d, 0x69, 0xca, 0x0a, 0x10, 0xeb,
    0x76, 0x74, 0x3c, 0x95, 0xc4, 0x27, 0x7c, 0x20, 0xcd, 0xa3, 0x06, 0x88,
    0x42, 0x0e, 0x99, 0x74, 0x0d, 0x48, 0xeb, 0x56, 0x9e, 0x23, 0xe9, 0x00,
    0x3e, 0x13, 0x02, 0x13, 0x03, 0x13, 0x01, 0xc0, 0x2c, 0xc0, 0x30, 0x00,
    0x9f, 0xcc, 0xa9, 0xcc, 0xa8, 0xcc, 0xaa, 0xc0, 0x2b, 0xc0, 0x2f, 0x00,
    0x9e, 0xc0, 0x24, 0xc0, 0x28, 0x00, 0x6b, 0xc0, 0x23, 0xc0, 0x27, 0x00,
    0x67, 0xc0, 0x0a, 0xc0, 0x14, 0x00, 0x39, 0xc0, 0x09, 0xc0, 0x13, 0x00,
    0x33, 0x00, 0x9d, 0x00, 0x9c, 0x00, 0x3d, 0x00, 0x3c, 0x00, 0x35, 0x00,
    0x2f, 0x00, 0xff, 0x01, 0x00, 0x00, 0xbe, 0x00, 0x00, 0x00, 0x10, 0x00,
    0x0e, 0x00, 0x00, 0x0b, 0x68, 0x72, 0x72, 0x2e, 0x65, 0x78, 0x61, 0x6d,
    0x70, 0x6c, 0x65, 0x00, 0x0b, 0x00, 0x04, 0x03, 0x00, 0x01, 0x02, 0x00,
    0x0a, 0x00, 0x06, 0x00, 0x04, 0x00, 0x1d, 0x00, 0x17, 0x00, 0x23, 0x00,
    0x00, 0x00, 0x16, 0x00, 0x00, 0x00, 0x17, 0x00, 0x00, 0x00, 0x0d, 0x00,
    0x2a, 0x00, 0x28, 0x04, 0x03, 0x05, 0x03, 0x06, 0x03, 0x08, 0x07, 0x08,
    0x08, 0x08, 0x09, 0x08, 0x0a, 0x08, 0x0b, 0x08, 0x04, 0x08, 0x05, 0x08,
    0x06, 0x04, 0x01, 0x05, 0x01, 0x06, 0x01, 0x03, 0x03, 0x03, 0x01, 0x03,
    0x02, 0x04, 0x02, 0x05, 0x02, 0x06, 0x02, 0x00, 0x2b, 0x00, 0x09, 0x08,
    0x03, 0x04, 0x03, 0x03, 0x03, 0x02, 0x03, 0x01, 0x00, 0x2d, 0x00, 0x02,
    0x01, 0x01, 0x00, 0x33, 0x00, 0x47, 0x00, 0x45, 0x00, 0x17, 0x00, 0x41,
    0x04, 0xf7, 0x3c, 0x2e, 0xae, 0xd8, 0xc5, 0x70, 0xda, 0x73, 0xc0, 0xee,
    0x13, 0xf7, 0x81, 0x0a, 0xcf, 0x91, 0xae, 0x44, 0x62, 0xbf, 0x87, 0x1a,
    0x35, 0xf2, 0xb5, 0xb1, 0xa2, 0x5a, 0xec, 0xd7, 0x47, 0xef, 0x10, 0x0b,
    0x6a, 0xac, 0x98, 0x35, 0x6c, 0x3b, 0x9d, 0xff, 0xd3, 0x6c, 0x7d, 0x2e,
    0x54, 0x65, 0x88, 0xff, 0xa8, 0x42, 0x56, 0x7f, 0xd5, 0xe2, 0x5a, 0x61,
    0x4a, 0x6e, 0xfe, 0x45, 0xca,
};

/* >>> ClientHello (223 bytes with the 4-byte header),
 * TLS 1.2 run: -tls1_2 -servername tls12.example, ALPN */
static const uint8_t ch12[] = {
    0x01, 0x00, 0x00, 0xdb, 0x03, 0x03, 0xe2, 0x3f, 0x87, 0xc5, 0xef, 0xc6,
    0x25, 0x11, 0xa6, 0xd8, 0xa3, 0xb7, 0xfb, 0xed, 0xd3, 0xaa, 0x3f, 0xe3,
    0x63, 0xee, 0xae, 0x9d, 0x82, 0x2d, 0xff, 0x8a, 0x04, 0x2f, 0xc0, 0x94,
    0x7a, 0xd2, 0x00, 0x00, 0x38, 0xc0, 0x2c, 0xc0, 0x30, 0x00, 0x9f, 0xcc,
    0xa9, 0xcc, 0xa8, 0xcc, 0xaa, 0xc0, 0x2b, 0xc0, 0x2f, 0x00, 0x9e, 0xc0,
    0x24, 0xc0, 0x28, 0x00, 0x6b, 0xc0, 0x23, 0xc0, 0x27, 0x00, 0x67, 0xc0,
    0x0a, 0xc0, 0x14, 0x00, 0x39, 0xc0, 0x09, 0xc0, 0x13, 0x00, 0x33, 0x00,
    0x9d, 0x00, 0x9c, 0x00, 0x3d, 0x00, 0x3c, 0x00, 0x35, 0x00, 0x2f, 0x00,
    0xff, 0x01, 0x00, 0x00, 0x7a, 0x00, 0x00, 0x00, 0x12, 0x00, 0x10, 0x00,
    0x00, 0x0d, 0x74, 0x6c, 0x73, 0x31, 0x32, 0x2e, 0x65, 0x78, 0x61, 0x6d,
    0x70, 0x6c, 0x65, 0x00, 0x0b, 0x00, 0x04, 0x03, 0x00, 0x01, 0x02, 0x00,
    0x0a, 0x00, 0x0c, 0x00, 0x0a, 0x00, 0x1d, 0x00, 0x17, 0x00, 0x1e, 0x00,
    0x19, 0x00, 0x18, 0x00, 0x23, 0x00, 0x00, 0x00, 0x10, 0x00, 0x0e, 0x00,
    0x0c, 0x02, 0x68, 0x32, 0x08, 0x68, 0x74, 0x74, 0x70, 0x2f, 0x31, 0x2e,
    0x31, 0x00, 0x16, 0x00, 0x00, 0x00, 0x17, 0x00, 0x00, 0x00, 0x0d, 0x00,
    0x2a, 0x00, 0x28, 0x04, 0x03, 0x05, 0x03, 0x06, 0x03, 0x08, 0x07, 0x08,
    0x08, 0x08, 0x09, 0x08, 0x0a, 0x08, 0x0b, 0x08, 0x04, 0x08, 0x05, 0x08,
    0x06, 0x04, 0x01, 0x05, 0x01, 0x06, 0x01, 0x03, 0x03, 0x03, 0x01, 0x03,
    0x02, 0x04, 0x02, 0x05, 0x02, 0x06, 0x02,
};

/* <<< ServerHello (80 bytes with the 4-byte header),
 * TLS 1.2 run: -tls1_2 -servername tls12.example, ALPN */
static const uint8_t sh12[] = {
    0x02, 0x00, 0x00, 0x4c, 0x03, 0x03, 0x5b, 0x02, 0x82, 0x81, 0x8c, 0xae,
    0x48, 0x55, 0xa3, 0x3d, 0x8c, 0x8e, 0x03, 0xd1, 0x6d, 0xbc, 0x5f, 0x40,
    0x16, 0xbc, 0xa4, 0x58, 0x5e, 0x29, 0xc2, 0xcc, 0x53, 0x63, 0xb0, 0xf2,
    0x92, 0xa0, 0x00, 0xc0, 0x2c, 0x00, 0x00, 0x24, 0xff, 0x01, 0x00, 0x01,
    0x00, 0x00, 0x0b, 0x00, 0x04, 0x03, 0x00, 0x01, 0x02, 0x00, 0x23, 0x00,
    0x00, 0x00, 0x10, 0x00, 0x0b, 0x00, 0x09, 0x08, 0x68, 0x74, 0x74, 0x70,
    0x2f, 0x31, 0x2e, 0x31, 0x00, 0x17, 0x00, 0x00,
};

/* <<< Certificate (691 bytes with the 4-byte header),
 * TLS 1.2 run: -tls1_2 -servername tls12.example, ALPN */
static const uint8_t cert12[] = {
    0x0b, 0x00, 0x02, 0xaf, 0x00, 0x02, 0xac, 0x00, 0x01, 0x28, 0x30, 0x82,
    0x01, 0x24, 0x30, 0x81, 0xca, 0x02, 0x14, 0x0a, 0xd4, 0x07, 0x65, 0xde,
    0x66, 0x8b, 0x4a, 0x17, 0xc7, 0x05, 0x75, 0x25, 0x5e, 0x86, 0x06, 0x3a,
    0x00, 0x3e, 0xbe, 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d,
    0x04, 0x03, 0x02, 0x30, 0x12, 0x31, 0x10, 0x30, 0x0e, 0x06, 0x03, 0x55,
    0x04, 0x03, 0x0c, 0x07, 0x54, 0x65, 0x73, 0x74, 0x20, 0x43, 0x41, 0x30,
    0x1e, 0x17, 0x0d, 0x32, 0x36, 0x31, 0x31, 0x32, 0x32, 0x32, 0x32, 0x32,
    0x31, 0x33, 0x34, 0x5a, 0x17, 0x0d, 0x33, 0x36, 0x31, 0x31, 0x31, 0x39,
    0x32, 0x32, 0x32, 0x31, 0x33, 0x34, 0x5a, 0x30, 0x17, 0x31, 0x15, 0x30,
    0x13, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x0c, 0x74, 0x65, 0x73, 0x74,
    0x2e, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x30, 0x59, 0x30, 0x13,
    0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04, 0xa5,
    0xdd, 0x41, 0xab, 0xd8, 0x5a, 0x62, 0x64, 0xa4, 0x52, 0x65, 0x10, 0x6a,
    0xab, 0xf1, 0xf4, 0x12, 0x66, 0xa6, 0xf3, 0x67, 0x24, 0x29, 0x40, 0x87,
    0x14, 0x8c, 0xf6, 0xae, 0x0d, 0x3f, 0xef, 0xe6, 0x79, 0xdb, 0xc6, 0x84,
    0x39, 0xe1, 0xcd, 0x50, 0xbf, 0x61, 0xbe, 0x06, 0x22, 0xdf, 0xf1, 0x03,
    0xa3, 0xa9, 0xea, 0xd0, 0xca, 0x3d, 0x01, 0xe0, 0x84, 0x02, 0x30, 0x54,
    0x37, 0x00, 0xf9, 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d,
    0x04, 0x03, 0x02, 0x03, 0x49, 0x00, 0x30, 0x46, 0x02, 0x21, 0x00, 0xbe,
    0xf3, 0x6b, 0xa1, 0x11, 0x17, 0xad, 0x72, 0x81, 0xfc, 0xfa, 0x82, 0xf4,
    0x54, 0x9e, 0x8b, 0xd3, 0x11, 0x83, 0xd1, 0xb2, 0x93, 0x35, 0x65, 0xeb,
    0x3f, 0xd7, 0x27, 0x1b, 0x86, 0x6c, 0x74, 0x02, 0x21, 0x00, 0xd4, 0x94,
    0xd6, 0x5c, 0x40, 0x66, 0x99, 0xe1, 0xc5, 0x11, 0xb0, 0xe8, 0x32, 0x7b,
    0x71, 0x09, 0xf2, 0xf5, 0x7d, 0x04, 0x3e, 0x98, 0x13, 0xa4, 0x94, 0xee,
    0x3c, 0xc0, 0xcf, 0x4e, 0xf9, 0x3a, 0x00, 0x01, 0x7e, 0x30, 0x82, 0x01,
    0x7a, 0x30, 0x82, 0x01, 0x1f, 0xa0, 0x03, 0x02, 0x01, 0x02, 0x02, 0x14,
    0x38, 0xc7, 0xa6, 0x73, 0x0e, 0x62, 0xcf, 0xa1, 0xe6, 0xd7, 0x4c, 0xc0,
    0xc6, 0x6d, 0xa3, 0xbb, 0xe5, 0x0e, 0x0e, 0xc5, 0x30, 0x0a, 0x06, 0x08,
    0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02, 0x30, 0x12, 0x31, 0x10,
    0x30, 0x0e, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x07, 0x54, 0x65, 0x73,
    0x74, 0x20, 0x43, 0x41, 0x30, 0x1e, 0x17, 0x0d, 0x32, 0x36, 0x31, 0x31,
    0x32, 0x32, 0x32, 0x32, 0x32, 0x31, 0x33, 0x34, 0x5a, 0x17, 0x0d, 0x33,
    0x36, 0x31, 0x31, 0x31, 0x39, 0x32, 0x32, 0x32, 0x31, 0x33, 0x34, 0x5a,
    0x30, 0x12, 0x31, 0x10, 0x30, 0x0e, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c,
    0x07, 0x54, 0x65, 0x73, 0x74, 0x20, 0x43, 0x41, 0x30, 0x59, 0x30, 0x13,
    0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04, 0xcd,
    0x13, 0x53, 0x1f, 0x54, 0xf8, 0xf9, 0x62, 0x84, 0xdb, 0x60, 0x70, 0x99,
    0xca, 0x25, 0x42, 0x09, 0xdd, 0x40, 0xfe, 0x5e, 0x43, 0xe3, 0x4d, 0xaf,
    0x32, 0x8b, 0x12, 0xb4, 0xbc, 0x0e, 0x6e, 0xe7, 0xda, 0x5e, 0x63, 0xf5,
    0x43, 0x5d, 0x56, 0x39, 0x70, 0x95, 0x3d, 0x8e, 0x35, 0x30, 0xda, 0x5a,
    0x57, 0xe1, 0x79, 0x00, 0xcb, 0xa8, 0x4a, 0xcc, 0xd2, 0xaf, 0xdf, 0x59,
    0x6f, 0x52, 0xdd, 0xa3, 0x53, 0x30, 0x51, 0x30, 0x1d, 0x06, 0x03, 0x55,
    0x1d, 0x0e, 0x04, 0x16, 0x04, 0x14, 0xfe, 0x67, 0x04, 0xd7, 0x31, 0x0d,
    0x15, 0xfd, 0x82, 0xc7, 0xaa, 0xed, 0x19, 0xa4, 0xfc, 0xde, 0x9f, 0xa6,
    0xfb, 0x7b, 0x30, 0x1f, 0x06, 0x03, 0x55, 0x1d, 0x23, 0x04, 0x18, 0x30,
    0x16, 0x80, 0x14, 0xfe, 0x67, 0x04, 0xd7, 0x31, 0x0d, 0x15, 0xfd, 0x82,
    0xc7, 0xaa, 0xed, 0x19, 0xa4, 0xfc, 0xde, 0x9f, 0xa6, 0xfb, 0x7b, 0x30,
    0x0f, 0x06, 0x03, 0x55, 0x1d, 0x13, 0x01, 0x01, 0xff, 0x04, 0x05, 0x30,
    0x03, 0x01, 0x01, 0xff, 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
    0x3d, 0x04, 0x03, 0x02, 0x03, 0x49, 0x00, 0x30, 0x46, 0x02, 0x21, 0x00,
    0xa7, 0x4f, 0xc3, 0x11, 0x17, 0xfb, 0xfc, 0x2e, 0x6e, 0x41, 0x1d, 0x15,
    0xc7, 0xc4, 0x3e, 0x82, 0xee, 0x67, 0xca, 0xa6, 0x79, 0x46, 0xf8, 0x60,
    0x62, 0x94, 0xb1, 0xd3, 0x99, 0x13, 0x84, 0x2b, 0x02, 0x21, 0x00, 0xc5,
    0x03, 0xa7, 0x83, 0xbe, 0xfb, 0x3e, 0xd8, 0x72, 0x2e, 0x01, 0xef, 0xfe,
    0xad, 0x75, 0xac, 0x05, 0x93, 0x94, 0x03, 0x71, 0xd8, 0xee, 0xff, 0xed,
    0x16, 0xdc, 0x2e, 0xc7, 0x1c, 0x72, 0x2f,
};

/* <<< ServerKeyExchange (115 bytes with the 4-byte header),
 * TLS 1.2 run: -tls1_2 -servername tls12.example, ALPN */
static const uint8_t ske12[] = {
    0x0c, 0x00, 0x00, 0x6f, 0x03, 0x00, 0x1d, 0x20, 0xb2, 0x90, 0xdf, 0xf4,
    0x24, 0x79, 0xb1, 0x0c, 0x45, 0x90, 0xde, 0x15, 0xbb, 0x28, 0x5c, 0x44,
    0x4b, 0x56, 0x53, 0xf0, 0xc9, 0x74, 0xc0, 0x37, 0xf9, 0x1a, 0x4e, 0x2b,
    0xb2, 0x5d, 0x78, 0x3b, 0x04, 0x03, 0x00, 0x47, 0x30, 0x45, 0x02, 0x21,
    0x00, 0xb1, 0xa5, 0xe3, 0xf3, 0xba, 0x17, 0x31, 0xf1, 0x35, 0x43, 0x0b,
    0x31, 0xbc, 0x7d, 0x38, 0x35, 0x22, 0xb8, 0xa3, 0xcc, 0x05, 0xf5, 0x28,
    0xa7, 0x69, 0x74, 0x43, 0x75, 0x5a, 0x1a, 0x76, 0x87, 0x02, 0x20, 0x57,
    0x83, 0xee, 0xc8, 0xb3, 0x9d, 0x50, 0x15, 0x65, 0x59, 0xef, 0x49, 0xc6,
    0x69, 0x34, 0xf2, 0xd0, 0xba, 0x07, 0x9b, 0x0c, 0x80, 0x58, 0xcf, 0x5c,
    0xfa, 0xa5, 0x44, 0x58, 0x6b, 0xdb, 0xfb,
};


/* ---- helpers ------------------------------------------------------------ */

/* The handshake message body: the captures above keep the 4-byte header. */
static struct cursor body_of(const uint8_t *msg, size_t len)
{
    return cursor_make(msg + 4, len - 4);
}

/* A byte-vector builder for hand-made messages; vec_end patches the length
 * prefix that vec_begin reserved. */
struct builder {
    uint8_t b[1 << 16];
    size_t n;
};

static void put8(struct builder *w, unsigned v)
{
    assert_true(w->n < sizeof(w->b));
    w->b[w->n++] = (uint8_t)v;
}

static void put16(struct builder *w, unsigned v)
{
    put8(w, v >> 8);
    put8(w, v & 0xff);
}

static void put24(struct builder *w, unsigned v)
{
    put8(w, (v >> 16) & 0xff);
    put16(w, v & 0xffff);
}

static void putn(struct builder *w, const void *p, size_t n)
{
    assert_true(w->n + n <= sizeof(w->b));
    memcpy(w->b + w->n, p, n);
    w->n += n;
}

static void putfill(struct builder *w, uint8_t v, size_t n)
{
    assert_true(w->n + n <= sizeof(w->b));
    memset(w->b + w->n, v, n);
    w->n += n;
}

static size_t vec_begin(struct builder *w, int width)
{
    size_t at = w->n;
    for (int i = 0; i < width; i++)
        put8(w, 0);
    return at;
}

static void vec_end(struct builder *w, size_t at, int width)
{
    size_t len = w->n - at - (size_t)width;
    for (int i = width - 1; i >= 0; i--) {
        w->b[at + (size_t)i] = (uint8_t)(len & 0xff);
        len >>= 8;
    }
}

/* ClientHello up to and including the compression methods. */
static void ch_prefix(struct builder *w, const uint16_t *suites, size_t n)
{
    size_t v;
    put16(w, 0x0303);
    putfill(w, 0x11, 32);
    put8(w, 0); /* session id */
    v = vec_begin(w, 2);
    for (size_t i = 0; i < n; i++)
        put16(w, suites[i]);
    vec_end(w, v, 2);
    put8(w, 1);
    put8(w, 0);
}

static const uint16_t two_suites[] = {0x1301, 0xc02f};

/* The fault the last parse_ch_bytes call recorded. */
static struct parse_fault_at fault;

/* Parses a builder's bytes from an exact-size heap copy, so that ASan sees
 * any read past the end. */
static bool parse_ch_bytes(const uint8_t *p, size_t n, struct client_hello *ch,
                           size_t *pos)
{
    uint8_t *copy = malloc(n ? n : 1);
    struct cursor c;
    bool ok;
    assert_non_null(copy);
    if (n)
        memcpy(copy, p, n);
    c = cursor_make(copy, n);
    cursor_watch(&c, &fault);
    ok = tls_parse_client_hello(&c, ch);
    if (pos)
        *pos = cursor_pos(&c);
    free(copy);
    return ok;
}

static struct client_hello ch; /* large: keep it off the stack */

/* ---- captured ClientHellos ---------------------------------------------- */

static const uint16_t ch13_ciphers[] = {
    0x1302, 0x1303, 0x1301, 0xc02c, 0xc030, 0x009f, 0xcca9, 0xcca8,
    0xccaa, 0xc02b, 0xc02f, 0x009e, 0xc024, 0xc028, 0x006b, 0xc023,
    0xc027, 0x0067, 0xc00a, 0xc014, 0x0039, 0xc009, 0xc013, 0x0033,
    0x009d, 0x009c, 0x003d, 0x003c, 0x0035, 0x002f, 0x00ff,
};
static const uint16_t ch13_sigalgs[] = {
    0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0809, 0x080a,
    0x080b, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601,
    0x0303, 0x0301, 0x0302, 0x0402, 0x0502, 0x0602,
};

static void test_openssl_tls13_client_hello(void **state)
{
    static const uint16_t exts[] = {0, 11, 10, 35, 16, 22, 23, 13, 43, 45, 51};
    static const uint16_t groups[] = {0x1d, 0x17, 0x1e, 0x19, 0x18,
                                      0x100, 0x101, 0x102, 0x103, 0x104};
    static const uint16_t versions[] = {0x0304, 0x0303, 0x0302, 0x0301};
    struct cursor c = body_of(ch13, sizeof(ch13));
    (void)state;

    ch.record_version = 0x0301;
    ch.ts_us = 42;
    assert_true(tls_parse_client_hello(&c, &ch));
    assert_int_equal(cursor_left(&c), 0);
    assert_true(ch.seen);
    assert_false(ch.sslv2);
    assert_false(ch.truncated);
    assert_int_equal(ch.record_version, 0x0301); /* left alone */
    assert_int_equal(ch.ts_us, 42);
    assert_int_equal(ch.length, 327);
    assert_int_equal(ch.legacy_version, 0x0303);
    assert_int_equal(ch.session_id_len, 32);
    assert_int_equal(ch.session_id[0], 0x9d);
    assert_int_equal(ch.session_id[31], 0xcc);

    assert_int_equal(ch.ciphers.n, 31);
    assert_int_equal(ch.ciphers.total, 31);
    assert_memory_equal(ch.ciphers.head, ch13_ciphers, sizeof(ch13_ciphers));
    assert_false(ch.cipher_spill_wanted); /* a usual hello fits the record */
    assert_false(ch.fallback_scsv);
    assert_int_equal(ch.compression.n, 1);
    assert_int_equal(ch.compression.v[0], 0);

    assert_int_equal(ch.extensions.n, 11);
    assert_int_equal(ch.extensions.total, 11);
    assert_memory_equal(ch.extensions.v, exts, sizeof(exts));

    assert_true(ch.has_sni);
    assert_string_equal(ch.sni, "test.example");
    assert_int_equal(ch.sni_len, 12);
    assert_int_equal(ch.n_alpn, 2);
    assert_string_equal(client_hello_alpn(&ch, 0), "h2");
    assert_string_equal(client_hello_alpn(&ch, 1), "http/1.1");
    assert_true(ch.has_supported_versions);
    assert_int_equal(ch.versions.n, 4);
    assert_memory_equal(ch.versions.v, versions, sizeof(versions));
    assert_int_equal(ch.groups.n, 10);
    assert_memory_equal(ch.groups.v, groups, sizeof(groups));
    assert_int_equal(ch.key_shares.n, 1);
    assert_int_equal(ch.key_shares.v[0].group, 0x1d);
    assert_int_equal(ch.sigalgs.n, 20);
    assert_memory_equal(ch.sigalgs.v, ch13_sigalgs, sizeof(ch13_sigalgs));
    assert_int_equal(ch.point_formats.n, 3);
    assert_int_equal(ch.point_formats.v[2], 2);

    assert_true(ch.has_session_ticket);
    assert_int_equal(ch.session_ticket_len, 0);
    assert_false(ch.psk_offered);
    assert_int_equal(ch.psk_modes, 0x02); /* psk_dhe_ke */
    assert_false(ch.early_data);
    assert_false(ch.status_request);
    assert_true(ch.extended_master_secret);
    assert_true(ch.encrypt_then_mac);
    assert_false(ch.renegotiation_info);
    assert_false(ch.ech);
    assert_false(ch.esni);
    assert_false(ch.has_padding);
}

static void test_openssl_client_hello_after_hrr(void **state)
{
    struct cursor c = body_of(ch13_after_hrr, sizeof(ch13_after_hrr));
    (void)state;

    assert_true(tls_parse_client_hello(&c, &ch));
    assert_string_equal(ch.sni, "hrr.example");
    assert_int_equal(ch.groups.n, 2);
    assert_int_equal(ch.groups.v[0], 0x1d);
    assert_int_equal(ch.groups.v[1], 0x17);
    assert_int_equal(ch.key_shares.n, 1);
    assert_int_equal(ch.key_shares.v[0].group, 0x17);
    assert_int_equal(ch.n_alpn, 0);
    assert_int_equal(ch.extensions.n, 10);
}

static void test_openssl_tls12_client_hello(void **state)
{
    static const uint16_t exts[] = {0, 11, 10, 35, 16, 22, 23, 13};
    struct cursor c = body_of(ch12, sizeof(ch12));
    (void)state;

    memset(&ch, 0x5a, sizeof(ch)); /* stale contents must not survive */
    ch.alpn_spill = NULL;         /* the session's, kept by the parser */
    ch.cipher_spill = NULL;
    ch.record_version = 0x0301;
    assert_true(tls_parse_client_hello(&c, &ch));
    assert_int_equal(ch.record_version, 0x0301);
    assert_int_equal(ch.legacy_version, 0x0303);
    assert_int_equal(ch.session_id_len, 0);
    assert_int_equal(ch.ciphers.n, 28);
    assert_memory_equal(ch.ciphers.head, ch13_ciphers + 3,
                        28 * sizeof(uint16_t));
    assert_int_equal(ch.extensions.n, 8);
    assert_memory_equal(ch.extensions.v, exts, sizeof(exts));
    assert_string_equal(ch.sni, "tls12.example");
    assert_int_equal(ch.sni_len, 13);
    assert_false(ch.has_supported_versions);
    assert_int_equal(ch.versions.n, 0);
    assert_int_equal(ch.key_shares.n, 0);
    assert_int_equal(ch.groups.n, 5);
    assert_int_equal(ch.groups.v[4], 0x18);
    assert_int_equal(ch.n_alpn, 2);
    assert_int_equal(ch.psk_modes, 0);
    assert_false(ch.truncated);
    assert_false(ch.esni);
}

/* Every prefix of a real hello must parse without reading past its end;
 * only the full message and the cut right after the compression methods
 * (a valid extension-less hello) are accepted. */
static void test_client_hello_every_truncation(void **state)
{
    const size_t full = sizeof(ch13) - 4;
    const size_t no_ext = 2 + 32 + 1 + 32 + 2 + 62 + 1 + 1;
    (void)state;

    for (size_t n = 0; n <= full; n++) {
        bool ok = parse_ch_bytes(ch13 + 4, n, &ch, NULL);
        assert_int_equal(ok, n == full || n == no_ext);
        assert_true(strlen(ch.sni) < HS_SNI_LEN);
    }
    /* Cut inside the last extension (key_share): the earlier ones stay. */
    assert_false(parse_ch_bytes(ch13 + 4, full - 1, &ch, NULL));
    assert_string_equal(ch.sni, "test.example");
    assert_int_equal(ch.versions.n, 4);
    assert_int_equal(ch.extensions.n, 10);
    assert_int_equal(ch.key_shares.n, 0);
}

/* ---- hand-built ClientHellos ------------------------------------------- */

static void test_client_hello_without_extensions(void **state)
{
    static struct builder w;
    (void)state;
    w.n = 0;
    ch_prefix(&w, two_suites, 2);
    assert_true(parse_ch_bytes(w.b, w.n, &ch, NULL));
    assert_int_equal(ch.ciphers.n, 2);
    assert_int_equal(ch.ciphers.head[1], 0xc02f);
    assert_int_equal(ch.extensions.n, 0);
    assert_false(ch.has_sni);
    assert_string_equal(ch.sni, "");
}

static void test_client_hello_bad_header_fields(void **state)
{
    static struct builder w;
    size_t v, pos;
    (void)state;

    /* 33-byte session id. */
    w.n = 0;
    put16(&w, 0x0303);
    putfill(&w, 0, 32);
    put8(&w, 33);
    putfill(&w, 0xaa, 33);
    put16(&w, 2);
    put16(&w, 0x002f);
    put8(&w, 1);
    put8(&w, 0);
    assert_false(parse_ch_bytes(w.b, w.n, &ch, &pos));
    assert_int_equal(pos, 34);
    assert_int_equal(ch.legacy_version, 0x0303);
    assert_int_equal(ch.session_id_len, 0);

    /* Odd cipher suite length: what came whole is kept. */
    w.n = 0;
    put16(&w, 0x0303);
    putfill(&w, 0, 32);
    put8(&w, 0);
    v = vec_begin(&w, 2);
    put16(&w, 0x1301);
    put8(&w, 0x13);
    vec_end(&w, v, 2);
    put8(&w, 1);
    put8(&w, 0);
    assert_false(parse_ch_bytes(w.b, w.n, &ch, &pos));
    assert_int_equal(pos, 35);
    assert_int_equal(ch.ciphers.n, 1);
    assert_int_equal(ch.ciphers.head[0], 0x1301);

    /* Empty input. */
    assert_false(parse_ch_bytes(w.b, 0, &ch, &pos));
    assert_int_equal(pos, 0);
    assert_true(ch.seen);
}

/* The record's one list writer keeps the first `cap` entries, counts all
 * of them, and writes nothing past the array. */
static void test_hs_list_keeps_first_and_counts_all(void **state)
{
    (void)state;
    struct {
        HS_LIST(uint16_t, 4) list;
        uint16_t after; /* what follows the list stays untouched */
    } s = {.after = 0xbeef};

    for (uint16_t i = 0; i < 6; i++)
        assert_int_equal(HS_LIST_PUSH(s.list, (uint16_t)(100 + i)), i < 4);
    assert_int_equal(s.list.n, 4);
    assert_int_equal(s.list.total, 6);
    for (uint16_t i = 0; i < 4; i++)
        assert_int_equal(s.list.v[i], 100 + i);
    assert_int_equal(s.after, 0xbeef);
    assert_null(HS_LIST_SLOT(s.list));

    /* The count saturates rather than wrapping back under n. */
    for (uint32_t i = 0; i < 70000; i++)
        (void)HS_LIST_PUSH(s.list, 1);
    assert_int_equal(s.list.n, 4);
    assert_int_equal(s.list.total, UINT16_MAX);
    assert_int_equal(s.list.v[3], 103);

    /* Emptied, it keeps again from the start. */
    HS_LIST_CLEAR(s.list);
    uint16_t *slot = HS_LIST_SLOT(s.list);
    assert_non_null(slot);
    *slot = 7;
    assert_int_equal(s.list.n, 1);
    assert_int_equal(s.list.total, 1);
    assert_int_equal(s.list.v[0], 7);
    assert_int_equal(s.after, 0xbeef);

    /* After an entry the writer dropped, none is kept: what is kept stays
     * the start of the list. */
    HS_LIST_DROP(s.list);
    assert_false(HS_LIST_PUSH(s.list, 8));
    assert_int_equal(s.list.n, 1);
    assert_int_equal(s.list.total, 3);
}

static void test_client_hello_grease_fallback_and_many_ciphers(void **state)
{
    static struct builder w;
    static uint16_t suites[300];
    (void)state;

    suites[0] = 0x0a0a;
    suites[1] = 0x1301;
    suites[2] = 0x5600;
    for (size_t i = 3; i < 300; i++)
        suites[i] = (uint16_t)(0x0100 + i);
    w.n = 0;
    ch_prefix(&w, suites, 300);
    static uint16_t spill[HS_CIPHERS_SPILL / sizeof(uint16_t)];
    ch.cipher_spill = spill; /* as the session gives it */
    assert_true(parse_ch_bytes(w.b, w.n, &ch, NULL));
    assert_int_equal(ch.ciphers.n, HS_MAX_CIPHERS);
    assert_int_equal(ch.ciphers.total, 300);
    assert_true(ch.truncated);
    assert_false(ch.cipher_spill_wanted);
    assert_int_equal(client_hello_suite(&ch, 0), 0x0a0a); /* GREASE kept */
    assert_int_equal(client_hello_suite(&ch, 2), 0x5600);
    for (size_t i = 0; i < HS_MAX_CIPHERS; i++) /* the first 256, in order */
        assert_int_equal(client_hello_suite(&ch, i), suites[i]);
    assert_true(ch.fallback_scsv);
    ch.cipher_spill = NULL;

    /* The SCSV is noticed even past the kept part of the list. */
    suites[2] = 0x0102;
    suites[299] = 0x5600;
    w.n = 0;
    ch_prefix(&w, suites, 300);
    assert_true(parse_ch_bytes(w.b, w.n, &ch, NULL));
    assert_true(ch.fallback_scsv);
}

/* More suites than the record holds: without a spill the parser keeps the
 * first HS_CIPHERS_INLINE, marks the hello truncated and asks for room;
 * with it (what the session gives) the whole list is kept, in order, and
 * the hello is whole. */
static void test_client_hello_cipher_spill(void **state)
{
    static struct builder w;
    static uint16_t suites[200];
    static uint16_t spill[HS_CIPHERS_SPILL / sizeof(uint16_t)];
    (void)state;

    for (size_t i = 0; i < 200; i++)
        suites[i] = (uint16_t)(0xc000 + 7 * i);
    w.n = 0;
    ch_prefix(&w, suites, 200);
    assert_true(parse_ch_bytes(w.b, w.n, &ch, NULL));
    assert_null(ch.cipher_spill);
    assert_true(ch.cipher_spill_wanted);
    assert_true(ch.truncated);
    assert_int_equal(ch.ciphers.n, HS_CIPHERS_INLINE);
    assert_int_equal(ch.ciphers.total, 200);
    for (size_t i = 0; i < HS_CIPHERS_INLINE; i++)
        assert_int_equal(client_hello_suite(&ch, i), suites[i]);

    ch.cipher_spill = spill;
    assert_true(parse_ch_bytes(w.b, w.n, &ch, NULL));
    assert_false(ch.cipher_spill_wanted);
    assert_false(ch.truncated);
    assert_int_equal(ch.ciphers.n, 200);
    assert_int_equal(ch.ciphers.total, 200);
    for (size_t i = 0; i < 200; i++)
        assert_int_equal(client_hello_suite(&ch, i), suites[i]);
    uint16_t copy[HS_MAX_CIPHERS];
    assert_int_equal(client_hello_suites(&ch, copy), 200);
    assert_memory_equal(copy, suites, sizeof suites);

    /* Exactly as many as the record holds: no spill asked for. */
    ch.cipher_spill = NULL;
    w.n = 0;
    ch_prefix(&w, suites, HS_CIPHERS_INLINE);
    assert_true(parse_ch_bytes(w.b, w.n, &ch, NULL));
    assert_false(ch.cipher_spill_wanted || ch.truncated);
    assert_int_equal(ch.ciphers.n, HS_CIPHERS_INLINE);
}

static void put_sni(struct builder *w, const void *name, size_t len)
{
    size_t e, l;
    put16(w, 0);
    e = vec_begin(w, 2);
    l = vec_begin(w, 2);
    put8(w, 0);
    put16(w, (unsigned)len);
    putn(w, name, len);
    vec_end(w, l, 2);
    vec_end(w, e, 2);
}

static void test_client_hello_sni_escaping(void **state)
{
    static struct builder w;
    static uint8_t longname[300];
    size_t x;
    (void)state;

    w.n = 0;
    ch_prefix(&w, two_suites, 2);
    x = vec_begin(&w, 2);
    put_sni(&w, "a\x01 b\\\xff", 6);
    vec_end(&w, x, 2);
    assert_true(parse_ch_bytes(w.b, w.n, &ch, NULL));
    assert_string_equal(ch.sni, "a\\x01\\x20b\\x5c\\xff");
    assert_int_equal(ch.sni_len, 6);
    assert_false(ch.truncated);

    /* A 300-byte name: cut to fit, wire length kept. */
    memset(longname, 'a', sizeof(longname));
    w.n = 0;
    ch_prefix(&w, two_suites, 2);
    x = vec_begin(&w, 2);
    put_sni(&w, longname, sizeof(longname));
    vec_end(&w, x, 2);
    assert_true(parse_ch_bytes(w.b, w.n, &ch, NULL));
    assert_int_equal(ch.sni_len, 300);
    assert_int_equal(strlen(ch.sni), HS_SNI_LEN - 1);
    assert_true(ch.truncated);

    /* Escapes never straddle the end: 254 'a' then a control byte. */
    longname[254] = 0x07;
    w.n = 0;
    ch_prefix(&w, two_suites, 2);
    x = vec_begin(&w, 2);
    put_sni(&w, longname, 256);
    vec_end(&w, x, 2);
    assert_true(parse_ch_bytes(w.b, w.n, &ch, NULL));
    assert_int_equal(strlen(ch.sni), 254);
    assert_true(ch.truncated);
}

/* A ClientHello whose only extension is ALPN: begin writes up to the
 * name list, whose names the caller writes; end closes the three lengths. */
static void alpn_hello_begin(struct builder *w, size_t marks[3])
{
    w->n = 0;
    ch_prefix(w, two_suites, 2);
    marks[0] = vec_begin(w, 2);
    put16(w, 16);
    marks[1] = vec_begin(w, 2);
    marks[2] = vec_begin(w, 2);
}

static void alpn_hello_end(struct builder *w, const size_t marks[3])
{
    vec_end(w, marks[2], 2);
    vec_end(w, marks[1], 2);
    vec_end(w, marks[0], 2);
}

static void test_client_hello_alpn_limits(void **state)
{
    static struct builder w;
    size_t marks[3];
    char proto[100];
    (void)state;

    memset(proto, 'p', sizeof(proto));
    alpn_hello_begin(&w, marks);
    put8(&w, sizeof(proto));
    putn(&w, proto, sizeof(proto));
    for (int i = 0; i < 20; i++) {
        put8(&w, 3);
        putn(&w, "h\n3", 3);
    }
    alpn_hello_end(&w, marks);
    assert_true(parse_ch_bytes(w.b, w.n, &ch, NULL));
    assert_true(ch.truncated);
    assert_int_equal(ch.n_alpn, HS_MAX_ALPN);
    assert_int_equal(strlen(client_hello_alpn(&ch, 0)), HS_ALPN_LEN - 1);
    assert_string_equal(client_hello_alpn(&ch, 1), "h\\x0a3");
    assert_string_equal(client_hello_alpn(&ch, 15), "h\\x0a3");
    assert_true(ch.alpn_truncated);

    /* Long names fill the record's room for names before the count does:
     * those kept are the first ones, whole, the rest are counted out, and
     * the session is asked for room for all of them. */
    alpn_hello_begin(&w, marks);
    for (int i = 0; i < 6; i++) {
        proto[0] = (char)('a' + i);
        put8(&w, 60);
        putn(&w, proto, 60);
    }
    put8(&w, 2);
    putn(&w, "h2", 2);
    alpn_hello_end(&w, marks);
    assert_true(parse_ch_bytes(w.b, w.n, &ch, NULL));
    assert_false(ch.truncated);
    assert_true(ch.alpn_truncated);
    assert_true(ch.alpn_spill_wanted);
    assert_int_equal(ch.n_alpn, HS_ALPN_TEXT / 61);
    for (size_t i = 0; i < ch.n_alpn; i++) {
        assert_int_equal(strlen(client_hello_alpn(&ch, i)), 60);
        assert_int_equal(client_hello_alpn(&ch, i)[0], 'a' + (int)i);
    }

    /* With the room the session gives, all of them are kept. */
    static char spill[HS_ALPN_SPILL];
    ch.alpn_spill = spill;
    assert_true(parse_ch_bytes(w.b, w.n, &ch, NULL));
    assert_false(ch.alpn_truncated || ch.alpn_spill_wanted);
    assert_int_equal(ch.n_alpn, 7);
    for (size_t i = 0; i < 6; i++)
        assert_int_equal(client_hello_alpn(&ch, i)[0], 'a' + (int)i);
    assert_string_equal(client_hello_alpn(&ch, 6), "h2");
    ch.alpn_spill = NULL;

    /* RFC 7301: an empty name is a bad value, found where it would begin;
     * the names after it are still read. */
    alpn_hello_begin(&w, marks);
    put8(&w, 2);
    putn(&w, "h2", 2);
    put8(&w, 0);
    size_t empty_at = w.n;
    put8(&w, 8);
    putn(&w, "http/1.1", 8);
    alpn_hello_end(&w, marks);
    assert_false(parse_ch_bytes(w.b, w.n, &ch, NULL));
    assert_int_equal(fault.kind, PARSE_FAULT_BAD_VALUE);
    assert_int_equal(fault.offset, empty_at);
    assert_int_equal(ch.n_alpn, 3);
    assert_string_equal(client_hello_alpn(&ch, 2), "http/1.1");
}

/* Every extension the parser knows, plus an unknown one, in one hello. */
static void test_client_hello_all_flags(void **state)
{
    static struct builder w;
    static const uint16_t want[] = {5,  0x1234, 41, 42, 45,     0xff01,
                                    0xfe0d, 0xffce, 21, 23, 22, 35};
    size_t x, e, l;
    (void)state;

    w.n = 0;
    ch_prefix(&w, two_suites, 2);
    x = vec_begin(&w, 2);
    put16(&w, 5);       /* status_request */
    put16(&w, 5);
    put8(&w, 1);
    put16(&w, 0);
    put16(&w, 0);
    put16(&w, 0x1234); /* unknown */
    put16(&w, 3);
    putn(&w, "abc", 3);
    put16(&w, 41); /* pre_shared_key: content not examined */
    put16(&w, 1);
    put8(&w, 0);
    put16(&w, 42); /* early_data */
    put16(&w, 0);
    put16(&w, 45); /* psk_key_exchange_modes: both */
    e = vec_begin(&w, 2);
    l = vec_begin(&w, 1);
    put8(&w, 0);
    put8(&w, 1);
    vec_end(&w, l, 1);
    vec_end(&w, e, 2);
    put16(&w, 0xff01);
    put16(&w, 1);
    put8(&w, 0);
    put16(&w, 0xfe0d); /* ECH outer: HKDF-SHA256, AES-128-GCM, config 7 */
    put16(&w, 15);
    put8(&w, 0);
    put16(&w, 1);
    put16(&w, 1);
    put8(&w, 7);
    put16(&w, 2);
    putn(&w, "ab", 2);
    put16(&w, 3);
    putn(&w, "xyz", 3);
    put16(&w, 0xffce);
    put16(&w, 0);
    put16(&w, 21); /* padding */
    put16(&w, 77);
    putfill(&w, 0, 77);
    put16(&w, 23);
    put16(&w, 0);
    put16(&w, 22);
    put16(&w, 0);
    put16(&w, 35); /* session_ticket with a ticket */
    put16(&w, 150);
    putfill(&w, 0xee, 150);
    vec_end(&w, x, 2);
    putn(&w, "junk", 4); /* trailing bytes are tolerated */

    assert_true(parse_ch_bytes(w.b, w.n, &ch, NULL));
    assert_int_equal(ch.extensions.n, 12);
    assert_int_equal(ch.extensions.total, 12);
    assert_memory_equal(ch.extensions.v, want, sizeof(want));
    assert_true(ch.status_request);
    assert_true(ch.psk_offered);
    assert_true(ch.early_data);
    assert_int_equal(ch.psk_modes, 0x03);
    assert_true(ch.renegotiation_info);
    assert_true(ch.ech);
    assert_true(ch.ech_info.present);
    assert_false(ch.ech_info.malformed);
    assert_int_equal(ch.ech_info.config_id, 7);
    assert_int_equal(ch.ech_info.enc_len, 2);
    assert_int_equal(ch.ech_info.payload_len, 3);
    assert_true(ch.esni);
    assert_true(ch.has_padding);
    assert_int_equal(ch.padding_len, 77);
    assert_true(ch.extended_master_secret);
    assert_true(ch.encrypt_then_mac);
    assert_true(ch.has_session_ticket);
    assert_int_equal(ch.session_ticket_len, 150);
    assert_false(ch.has_sni);
}

static void test_client_hello_malformed_inner_extension(void **state)
{
    static struct builder w;
    size_t x, bad_at, pos;
    (void)state;

    w.n = 0;
    ch_prefix(&w, two_suites, 2);
    x = vec_begin(&w, 2);
    bad_at = w.n;
    put16(&w, 10); /* supported_groups with an odd list */
    put16(&w, 5);
    put16(&w, 3);
    put16(&w, 0x001d);
    put8(&w, 0x00);
    put_sni(&w, "after.example", 13);
    put16(&w, 43); /* supported_versions: inner length says 6, has 4 */
    put16(&w, 5);
    put8(&w, 6);
    put16(&w, 0x0304);
    put16(&w, 0x0303);
    vec_end(&w, x, 2);

    assert_false(parse_ch_bytes(w.b, w.n, &ch, &pos));
    assert_int_equal(pos, bad_at); /* first fault */
    /* Its kind and byte: the odd byte left after the list's whole entry,
     * not the later supported_versions fault. */
    assert_int_equal(fault.kind, PARSE_FAULT_TRAILING);
    assert_int_equal(fault.offset, bad_at + 8);
    assert_int_equal(ch.groups.n, 1);
    assert_int_equal(ch.groups.v[0], 0x1d);
    assert_string_equal(ch.sni, "after.example"); /* read past the fault */
    assert_int_equal(ch.extensions.n, 3);
    assert_true(ch.has_supported_versions);
    assert_int_equal(ch.versions.n, 0);
}

static void test_client_hello_broken_extension_header(void **state)
{
    static struct builder w;
    size_t x, bad_at, pos;
    (void)state;

    w.n = 0;
    ch_prefix(&w, two_suites, 2);
    x = vec_begin(&w, 2);
    put_sni(&w, "ok.example", 10);
    bad_at = w.n;
    put16(&w, 23);
    put16(&w, 40); /* claims 40 bytes, has 2 */
    put16(&w, 0);
    vec_end(&w, x, 2);

    assert_false(parse_ch_bytes(w.b, w.n, &ch, &pos));
    assert_int_equal(pos, bad_at);
    assert_int_equal(fault.kind, PARSE_FAULT_BAD_LENGTH);
    assert_int_equal(fault.offset, bad_at + 2); /* the lying length */
    assert_string_equal(ch.sni, "ok.example");
    assert_int_equal(ch.extensions.n, 1);
    assert_false(ch.extended_master_secret);

    /* The block's own length runs past the message (a cut hello): the
     * extensions that arrived whole are read, the fault is at the end. */
    w.b[bad_at + 3] = 0;
    w.n = bad_at + 4;
    vec_end(&w, x, 2);
    w.b[x + 1] += 1;
    assert_false(parse_ch_bytes(w.b, w.n, &ch, &pos));
    assert_int_equal(pos, w.n);
    assert_int_equal(fault.kind, PARSE_FAULT_TRUNCATED);
    assert_int_equal(fault.offset, w.n);
    assert_int_equal(ch.extensions.n, 2);
    assert_string_equal(ch.sni, "ok.example");
    assert_true(ch.extended_master_secret);
    assert_int_equal(ch.ciphers.n, 2);

    /* Only the length's first byte arrived. */
    assert_false(parse_ch_bytes(w.b, x + 1, &ch, &pos));
    assert_int_equal(pos, x);
    assert_int_equal(fault.kind, PARSE_FAULT_TRUNCATED);
    assert_int_equal(fault.offset, x);
    assert_int_equal(ch.extensions.n, 0);
}

static void test_client_hello_too_many_extensions(void **state)
{
    static struct builder w;
    size_t x;
    (void)state;

    w.n = 0;
    ch_prefix(&w, two_suites, 2);
    x = vec_begin(&w, 2);
    for (unsigned i = 0; i < 70; i++) {
        put16(&w, 0x2000 + i);
        put16(&w, 0);
    }
    put_sni(&w, "last.example", 12);
    vec_end(&w, x, 2);
    assert_true(parse_ch_bytes(w.b, w.n, &ch, NULL));
    assert_int_equal(ch.extensions.n, HS_MAX_EXTENSIONS);
    assert_int_equal(ch.extensions.total, 71);
    assert_int_equal(ch.extensions.v[63], 0x2000 + 63);
    assert_true(ch.truncated);
    assert_string_equal(ch.sni, "last.example"); /* still parsed */
}

/* ---- SSLv2 ClientHello --------------------------------------------------- */

/* More SSLv2-only cipher kinds than a hello keeps: the specs before the
 * first that does not fit stay whole and in wire order, the rest are
 * counted and the hello is marked truncated (never kept cut to 16 bits). */
static void test_sslv2_client_hello_many_kinds(void **state)
{
    static uint8_t hello[9 + 3 * 40 + 16];
    size_t n = 0;
    (void)state;

    hello[n++] = 0x01;
    hello[n++] = 0x00;
    hello[n++] = 0x02;
    hello[n++] = 0x00;
    hello[n++] = 3 * 40; /* specs */
    hello[n++] = 0x00;
    hello[n++] = 0x00;   /* no session id */
    hello[n++] = 0x00;
    hello[n++] = 0x10;   /* challenge */
    for (unsigned i = 0; i < 40; i++) { /* kind, TLS spec, kind, ... */
        hello[n++] = i % 2 ? 0x00 : (uint8_t)(1 + i / 2);
        hello[n++] = 0x00;
        hello[n++] = i % 2 ? 0x35 : 0x80;
    }
    n += 16;
    struct cursor c = cursor_make(hello, n);
    assert_true(tls_parse_sslv2_client_hello(&c, &ch));
    assert_true(ch.truncated);
    assert_int_equal(ch.ciphers.total, 40);
    assert_int_equal(ch.n_sslv2_kinds, HS_MAX_SSLV2_KINDS);
    assert_int_equal(ch.ciphers.n, 2 * HS_MAX_SSLV2_KINDS);
    for (unsigned i = 0; i < ch.ciphers.n; i++)
        assert_int_equal(client_hello_cipher(&ch, i),
                         i % 2 ? 0x000035 : ((1u + i / 2) << 16) | 0x80);
}

static void test_sslv2_client_hello(void **state)
{
    static const uint8_t hello[] = {
        0x01,                   /* CLIENT-HELLO */
        0x03, 0x01,             /* TLS 1.0 in an SSLv2 hello */
        0x00, 0x0c,             /* cipher specs: 4 x 3 bytes */
        0x00, 0x00,             /* no session id */
        0x00, 0x10,             /* 16-byte challenge */
        0x01, 0x00, 0x80, 0x07, 0x00, 0xc0, 0x00, 0x00, 0x35, 0x00, 0x56,
        0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a,
        0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10,
    };
    struct cursor c = cursor_make(hello, sizeof(hello));
    (void)state;

    ch.record_version = 0x0002;
    assert_true(tls_parse_sslv2_client_hello(&c, &ch));
    assert_int_equal(cursor_left(&c), 0);
    assert_true(ch.seen);
    assert_true(ch.sslv2);
    assert_int_equal(ch.record_version, 0x0002);
    assert_int_equal(ch.legacy_version, 0x0301);
    assert_int_equal(ch.ciphers.n, 4);
    assert_int_equal(ch.ciphers.total, 4);
    assert_int_equal(client_hello_cipher(&ch, 0), 0x010080);
    assert_int_equal(client_hello_cipher(&ch, 1), 0x0700c0);
    assert_int_equal(client_hello_cipher(&ch, 2), 0x000035);
    assert_int_equal(client_hello_cipher(&ch, 3), 0x005600);
    assert_true(ch.fallback_scsv);
    assert_int_equal(ch.session_id_len, 0);
    assert_int_equal(ch.extensions.n, 0);

    /* Every truncation fails cleanly. */
    for (size_t n = 0; n < sizeof(hello); n++) {
        uint8_t *copy = malloc(n ? n : 1);
        memcpy(copy, hello, n);
        c = cursor_make(copy, n);
        assert_false(tls_parse_sslv2_client_hello(&c, &ch));
        free(copy);
    }
}

static void test_sslv2_client_hello_malformed(void **state)
{
    uint8_t hello[] = {
        0x01, 0x00, 0x02, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00,
        0x01, 0x00, 0x80, 0x02,
    };
    struct cursor c = cursor_make(hello, sizeof(hello));
    (void)state;

    struct parse_fault_at f;
    cursor_watch(&c, &f);

    /* Cipher specs not a multiple of 3: the whole one is kept. */
    assert_false(tls_parse_sslv2_client_hello(&c, &ch));
    assert_int_equal(cursor_pos(&c), 9);
    assert_int_equal(f.kind, PARSE_FAULT_BAD_LENGTH);
    assert_int_equal(f.offset, 9);
    assert_int_equal(ch.ciphers.n, 1);
    assert_int_equal(client_hello_cipher(&ch, 0), 0x010080);
    assert_int_equal(ch.legacy_version, 0x0002);

    hello[0] = 0x04; /* SERVER-HELLO is not ours */
    c = cursor_make(hello, sizeof(hello));
    cursor_watch(&c, &f);
    assert_false(tls_parse_sslv2_client_hello(&c, &ch));
    assert_int_equal(cursor_pos(&c), 0);
    assert_int_equal(f.kind, PARSE_FAULT_BAD_VALUE);
    assert_int_equal(f.offset, 0);
    assert_int_equal(ch.ciphers.n, 0);
}

/* ---- ServerHello / HelloRetryRequest ------------------------------------ */

static void test_openssl_tls13_server_hello(void **state)
{
    static const uint16_t exts[] = {43, 51};
    struct server_hello sh = {0};
    struct hello_retry hrr_out = {0};
    struct cursor c = body_of(sh13, sizeof(sh13));
    bool is_hrr = true;
    (void)state;

    sh.record_version = 0x0303;
    assert_true(tls_parse_server_hello(&c, &sh, &hrr_out, &is_hrr));
    assert_false(is_hrr);
    assert_false(hrr_out.seen);
    assert_true(sh.seen);
    assert_int_equal(sh.record_version, 0x0303);
    assert_int_equal(sh.legacy_version, 0x0303);
    assert_int_equal(sh.version, 0x0304);
    assert_true(sh.has_supported_versions);
    assert_int_equal(sh.cipher, 0x1302);
    assert_int_equal(sh.compression, 0);
    assert_int_equal(sh.session_id_len, 32);
    assert_int_equal(sh.session_id[0], 0x9d);
    assert_int_equal(sh.extensions.n, 2);
    assert_int_equal(sh.extensions.total, 2);
    assert_memory_equal(sh.extensions.v, exts, sizeof(exts));
    assert_true(sh.has_key_share);
    assert_int_equal(sh.group, 0x1d);
    assert_false(sh.has_alpn);
    assert_false(sh.psk_accepted);
    assert_false(sh.extended_master_secret);
}

static void test_openssl_hello_retry_request(void **state)
{
    static const uint16_t exts[] = {43, 51};
    struct server_hello sh = {0};
    struct hello_retry hrr_out = {0};
    struct cursor c = body_of(hrr, sizeof(hrr));
    bool is_hrr = false;
    (void)state;

    assert_true(tls_parse_server_hello(&c, &sh, &hrr_out, &is_hrr));
    assert_true(is_hrr);
    assert_false(sh.seen);
    assert_true(hrr_out.seen);
    assert_int_equal(hrr_out.cipher, 0x1302);
    assert_int_equal(hrr_out.group, 0x17);
    assert_int_equal(hrr_out.extensions.n, 2);
    assert_memory_equal(hrr_out.extensions.v, exts, sizeof(exts));
}

static void test_hello_retry_request_malformed_key_share(void **state)
{
    static const uint8_t magic[32] = {
        0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c,
        0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb,
        0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
    };
    static struct builder w;
    struct server_hello sh = {0};
    struct hello_retry hrr_out = {0};
    struct cursor c;
    bool is_hrr = false;
    size_t x, bad_at;
    (void)state;

    w.n = 0;
    put16(&w, 0x0303);
    putn(&w, magic, 32);
    put8(&w, 0);
    put16(&w, 0x1301);
    put8(&w, 0);
    x = vec_begin(&w, 2);
    put16(&w, 43);
    put16(&w, 2);
    put16(&w, 0x0304);
    bad_at = w.n;
    put16(&w, 51);
    put16(&w, 3); /* a group is 2 bytes */
    put16(&w, 0x001d);
    put8(&w, 0);
    put16(&w, 44); /* cookie */
    put16(&w, 0);
    vec_end(&w, x, 2);
    c = cursor_make(w.b, w.n);
    assert_false(tls_parse_server_hello(&c, &sh, &hrr_out, &is_hrr));
    assert_true(is_hrr);
    assert_int_equal(cursor_pos(&c), bad_at);
    assert_int_equal(hrr_out.cipher, 0x1301);
    assert_int_equal(hrr_out.extensions.n, 3);
    assert_int_equal(hrr_out.extensions.v[2], 44);

    /* One byte off the magic is an ordinary ServerHello. */
    w.b[2 + 31] ^= 1;
    c = cursor_make(w.b, w.n);
    assert_false(tls_parse_server_hello(&c, &sh, &hrr_out, &is_hrr));
    assert_false(is_hrr);
    assert_true(sh.seen);
    assert_int_equal(sh.version, 0x0304);
    assert_int_equal(sh.cipher, 0x1301);
}

static void test_openssl_tls12_server_hello(void **state)
{
    static const uint16_t exts[] = {0xff01, 11, 35, 16, 23};
    struct server_hello sh = {0};
    struct hello_retry hrr_out = {0};
    struct cursor c = body_of(sh12, sizeof(sh12));
    bool is_hrr = true;
    (void)state;

    assert_true(tls_parse_server_hello(&c, &sh, &hrr_out, &is_hrr));
    assert_false(is_hrr);
    assert_int_equal(sh.legacy_version, 0x0303);
    assert_int_equal(sh.version, 0x0303);
    assert_false(sh.has_supported_versions);
    assert_int_equal(sh.cipher, 0xc02c);
    assert_int_equal(sh.session_id_len, 0);
    assert_int_equal(sh.extensions.n, 5);
    assert_memory_equal(sh.extensions.v, exts, sizeof(exts));
    assert_true(sh.renegotiation_info);
    assert_true(sh.session_ticket);
    assert_true(sh.extended_master_secret);
    assert_false(sh.encrypt_then_mac); /* not for an AEAD suite */
    assert_true(sh.has_alpn);
    assert_string_equal(sh.alpn, "http/1.1");
    assert_false(sh.has_key_share);
}

static void test_server_hello_hand_built(void **state)
{
    static struct builder w;
    struct server_hello sh = {0};
    struct hello_retry hrr_out = {0};
    struct cursor c;
    bool is_hrr;
    size_t x, e, l;
    (void)state;

    /* SSLv3-style: no extensions block at all. */
    w.n = 0;
    put16(&w, 0x0300);
    putfill(&w, 0x42, 32);
    put8(&w, 16);
    putfill(&w, 0x77, 16);
    put16(&w, 0x000a);
    put8(&w, 0);
    c = cursor_make(w.b, w.n);
    assert_true(tls_parse_server_hello(&c, &sh, &hrr_out, &is_hrr));
    assert_int_equal(sh.version, 0x0300);
    assert_int_equal(sh.cipher, 0x000a);
    assert_int_equal(sh.session_id_len, 16);
    assert_int_equal(sh.session_id[15], 0x77);
    assert_int_equal(sh.extensions.n, 0);

    /* TLS 1.2 with EMS, ETM, reneg, status_request, resumption PSK. */
    x = vec_begin(&w, 2);
    put16(&w, 23);
    put16(&w, 0);
    put16(&w, 22);
    put16(&w, 0);
    put16(&w, 0xff01);
    put16(&w, 1);
    put8(&w, 0);
    put16(&w, 5);
    put16(&w, 0);
    put16(&w, 41);
    put16(&w, 2);
    put16(&w, 0);
    put16(&w, 16); /* ALPN with two names: malformed from a server */
    e = vec_begin(&w, 2);
    l = vec_begin(&w, 2);
    put8(&w, 2);
    putn(&w, "h2", 2);
    put8(&w, 2);
    putn(&w, "h3", 2);
    vec_end(&w, l, 2);
    vec_end(&w, e, 2);
    vec_end(&w, x, 2);
    c = cursor_make(w.b, w.n);
    assert_false(tls_parse_server_hello(&c, &sh, &hrr_out, &is_hrr));
    assert_true(sh.extended_master_secret);
    assert_true(sh.encrypt_then_mac);
    assert_true(sh.renegotiation_info);
    assert_true(sh.status_request);
    assert_true(sh.psk_accepted);
    assert_true(sh.has_alpn);
    assert_string_equal(sh.alpn, "h2");
    assert_int_equal(sh.extensions.n, 6);

    /* Every truncation of the real ServerHello. */
    for (size_t n = 0; n < sizeof(sh13) - 4; n++) {
        uint8_t *copy = malloc(n ? n : 1);
        memcpy(copy, sh13 + 4, n);
        c = cursor_make(copy, n);
        /* A cut right after compression is a valid extension-less hello. */
        assert_int_equal(tls_parse_server_hello(&c, &sh, &hrr_out, &is_hrr),
                         n == 2 + 32 + 33 + 3);
        free(copy);
    }
}

/* TLS 1.3 drafts before 22 (arkime/tls13.pcap is draft 18, legacy_version
 * 0x7f12; suricata-verify/tls13-draft14.pcap says 0x0304): no session id
 * and no compression method. Read with the TLS 1.2 layout, the cipher's
 * first byte became a session id length and the cipher came out of the
 * extensions (0x7106 where the server chose 0x1301). */
static void test_draft_server_hello(void **state)
{
    static struct builder w;
    struct server_hello sh = {0};
    struct hello_retry hrr_out = {0};
    struct cursor c;
    bool is_hrr;
    size_t x, e;
    (void)state;

    static const uint16_t layouts[][2] = {
        {0x7f12, 0x1301}, /* draft 18 */
        {0x7f0e, 0xcca9}, /* draft 14 */
        {0x0304, 0xc02b}, /* pre-draft-code servers */
    };
    for (size_t i = 0; i < 3; i++) {
        w.n = 0;
        put16(&w, layouts[i][0]);
        putfill(&w, 0x71, 32);
        put16(&w, layouts[i][1]);
        x = vec_begin(&w, 2);
        put16(&w, 40); /* key_share, as numbered in the drafts */
        e = vec_begin(&w, 2);
        put16(&w, 0x001d);
        put16(&w, 32);
        putfill(&w, 0x06, 32);
        vec_end(&w, e, 2);
        vec_end(&w, x, 2);
        c = cursor_make(w.b, w.n);
        assert_true(tls_parse_server_hello(&c, &sh, &hrr_out, &is_hrr));
        assert_false(is_hrr);
        assert_int_equal(sh.legacy_version, layouts[i][0]);
        assert_int_equal(sh.version, layouts[i][0]);
        assert_int_equal(sh.cipher, layouts[i][1]);
        assert_int_equal(sh.session_id_len, 0);
        assert_int_equal(sh.compression, 0);
        assert_int_equal(sh.extensions.n, 1);
        assert_int_equal(sh.extensions.v[0], 40);
        assert_int_equal(cursor_left(&c), 0);
    }

    /* Every truncation: only the extension-less cut (right after the
     * cipher) and the whole message parse. */
    for (size_t n = 0; n <= w.n; n++) {
        c = cursor_make(w.b, n);
        assert_int_equal(tls_parse_server_hello(&c, &sh, &hrr_out, &is_hrr),
                         n == 2 + 32 + 2 || n == w.n);
    }

    /* Draft 22 and later moved to the TLS 1.2 layout (and 0x0303 in this
     * field); a 0x7f16 here is read that way. */
    w.n = 0;
    put16(&w, 0x7f16);
    putfill(&w, 0x71, 32);
    put8(&w, 0);
    put16(&w, 0x1302);
    put8(&w, 0);
    c = cursor_make(w.b, w.n);
    assert_true(tls_parse_server_hello(&c, &sh, &hrr_out, &is_hrr));
    assert_int_equal(sh.cipher, 0x1302);
}

/* ---- Certificate --------------------------------------------------------- */

static void test_openssl_tls12_certificate(void **state)
{
    struct cert_chain chain = {0};
    struct cursor c = body_of(cert12, sizeof(cert12));
    (void)state;

    assert_true(tls_parse_certificate(&c, false, &chain));
    assert_true(chain.seen);
    assert_int_equal(chain.n_certs, 2);
    assert_int_equal(chain.n_certs_total, 2);
    assert_false(chain.truncated);
    assert_int_equal(chain.certs[0].off, 0);
    assert_int_equal(chain.certs[0].len, 296);
    assert_int_equal(chain.certs[1].off, 296);
    assert_int_equal(chain.certs[1].len, 382);
    assert_int_equal(chain.der_len, 678);
    /* The DER is what the capture carried, byte for byte. */
    assert_memory_equal(chain.der, cert12 + 4 + 3 + 3, 296);
    assert_memory_equal(chain.der + 296, cert12 + 4 + 3 + 3 + 296 + 3, 382);
    assert_int_equal(chain.der[0], 0x30);
    assert_int_equal(chain.der[295], 0x3a); /* ends cf 4e f9 3a */
    assert_int_equal(chain.der[677], 0x2f); /* ends c7 1c 72 2f */

    /* A second Certificate message replaces the first. */
    c = body_of(cert13, sizeof(cert13));
    assert_true(tls_parse_certificate(&c, true, &chain));
    assert_int_equal(cursor_left(&c), 0);
    cert_chain_free(&chain);
    assert_null(chain.der);
    assert_false(chain.seen);
}

static void test_openssl_tls13_certificate(void **state)
{
    struct cert_chain a = {0}, b = {0};
    struct cursor c = body_of(cert13, sizeof(cert13));
    (void)state;

    assert_true(tls_parse_certificate(&c, true, &a));
    assert_int_equal(a.n_certs, 2);
    assert_int_equal(a.certs[0].len, 296);
    assert_int_equal(a.certs[1].off, 296);
    assert_int_equal(a.certs[1].len, 382);
    c = body_of(cert12, sizeof(cert12));
    assert_true(tls_parse_certificate(&c, false, &b));
    assert_int_equal(a.der_len, b.der_len);
    assert_memory_equal(a.der, b.der, a.der_len); /* same chain both ways */

    /* Read with the wrong layout, the 1.3 message does not parse. */
    c = body_of(cert13, sizeof(cert13));
    assert_false(tls_parse_certificate(&c, false, &b));
    cert_chain_free(&a);
    cert_chain_free(&b);
}

static void test_certificate_empty_and_lying(void **state)
{
    static struct builder w;
    struct cert_chain chain = {0};
    struct cursor c;
    size_t list;
    (void)state;

    /* Empty list: the client had no certificate. */
    w.n = 0;
    put24(&w, 0);
    c = cursor_make(w.b, w.n);
    assert_true(tls_parse_certificate(&c, false, &chain));
    assert_true(chain.seen);
    assert_int_equal(chain.n_certs_total, 0);
    assert_null(chain.der);

    /* Same in TLS 1.3 form, with a request context. */
    w.n = 0;
    put8(&w, 2);
    put16(&w, 0xabcd);
    put24(&w, 0);
    c = cursor_make(w.b, w.n);
    assert_true(tls_parse_certificate(&c, true, &chain));
    assert_int_equal(chain.n_certs_total, 0);

    /* Outer length longer than the message. */
    w.n = 0;
    put24(&w, 100);
    put24(&w, 3);
    putn(&w, "\x30\x01\x00", 3);
    c = cursor_make(w.b, w.n);
    assert_false(tls_parse_certificate(&c, false, &chain));
    assert_true(chain.seen);
    assert_int_equal(chain.n_certs_total, 0);
    assert_int_equal(chain.n_certs, 0);

    /* Second certificate's length runs past the list: the first stays. */
    w.n = 0;
    list = vec_begin(&w, 3);
    put24(&w, 3);
    putn(&w, "\x30\x01\x00", 3);
    put24(&w, 50);
    putn(&w, "\x30\x01", 2);
    vec_end(&w, list, 3);
    c = cursor_make(w.b, w.n);
    assert_false(tls_parse_certificate(&c, false, &chain));
    assert_int_equal(cursor_pos(&c), 9);
    assert_int_equal(chain.n_certs, 1);
    assert_int_equal(chain.n_certs_total, 1);
    assert_int_equal(chain.certs[0].len, 3);
    assert_memory_equal(chain.der, "\x30\x01\x00", 3);

    /* A zero-length certificate is malformed, but the next one is read. */
    w.n = 0;
    list = vec_begin(&w, 3);
    put24(&w, 0);
    put24(&w, 2);
    putn(&w, "\x30\x00", 2);
    vec_end(&w, list, 3);
    c = cursor_make(w.b, w.n);
    assert_false(tls_parse_certificate(&c, false, &chain));
    assert_int_equal(chain.n_certs_total, 2);
    assert_int_equal(chain.n_certs, 1);
    assert_int_equal(chain.certs[0].len, 2);

    /* Every truncation of a real message fails without overreading. */
    for (size_t n = 0; n < sizeof(cert12) - 4; n++) {
        uint8_t *copy = malloc(n ? n : 1);
        memcpy(copy, cert12 + 4, n);
        c = cursor_make(copy, n);
        assert_false(tls_parse_certificate(&c, false, &chain));
        assert_true(chain.der_len <= n);
        free(copy);
    }
    cert_chain_free(&chain);
}

static void test_certificate_limits(void **state)
{
    static struct builder w;
    struct cert_chain chain = {0};
    struct cursor c;
    size_t list;
    (void)state;

    /* 20 certificates: 16 kept. */
    w.n = 0;
    list = vec_begin(&w, 3);
    for (unsigned i = 0; i < 20; i++) {
        put24(&w, 4);
        put8(&w, 0x30);
        put8(&w, 2);
        put16(&w, i);
    }
    vec_end(&w, list, 3);
    c = cursor_make(w.b, w.n);
    assert_true(tls_parse_certificate(&c, false, &chain));
    assert_int_equal(chain.n_certs, HS_MAX_CERTS);
    assert_int_equal(chain.n_certs_total, 20);
    assert_true(chain.truncated);
    assert_int_equal(chain.der_len, 4 * HS_MAX_CERTS);
    assert_int_equal(chain.certs[15].off, 60);
    assert_int_equal(chain.der[63], 15);
    cert_chain_free(&chain);
}

/* CertificateStatus: an OCSP response is kept whole; other status types
 * and oversized responses are noted, not kept; lies are faults. */
static void test_certificate_status(void **state)
{
    (void)state;
    struct ocsp_staple st = {0};
    const uint8_t ocsp[] = {1, 0, 0, 4, 0x30, 0x02, 0x0a, 0x00};
    struct cursor c = cursor_make(ocsp, sizeof(ocsp));
    assert_true(tls_parse_certificate_status(&c, &st));
    assert_true(st.seen);
    assert_int_equal(st.status_type, 1);
    assert_int_equal(st.der_len, 4);
    assert_memory_equal(st.der, ocsp + 4, 4);
    assert_false(st.truncated);

    const uint8_t other[] = {2, 0, 0, 1, 0xff};
    c = cursor_make(other, sizeof(other));
    assert_true(tls_parse_certificate_status(&c, &st)); /* replaces */
    assert_int_equal(st.status_type, 2);
    assert_null(st.der);
    assert_int_equal(st.der_len, 0);

    const uint8_t lying[] = {1, 0, 0, 9, 0x30, 0x00};
    c = cursor_make(lying, sizeof(lying));
    assert_false(tls_parse_certificate_status(&c, &st));
    assert_null(st.der);
    const uint8_t empty[] = {1, 0, 0, 0};
    c = cursor_make(empty, sizeof(empty));
    assert_false(tls_parse_certificate_status(&c, &st));

    size_t big = HS_MAX_OCSP_BYTES + 1;
    uint8_t *msg = calloc(1, 4 + big);
    assert_non_null(msg);
    msg[0] = 1;
    msg[1] = (uint8_t)(big >> 16);
    msg[2] = (uint8_t)(big >> 8);
    msg[3] = (uint8_t)big;
    c = cursor_make(msg, 4 + big);
    assert_true(tls_parse_certificate_status(&c, &st));
    assert_true(st.truncated);
    assert_null(st.der);
    free(msg);
    ocsp_staple_free(&st);
    assert_false(st.seen);
}

static void test_certificate_byte_cap(void **state)
{
    /* Three 100 KB certificates: only the first two fit the 256 KB cap, and
     * once one is dropped no later one is kept, so the chain stays in order. */
    const size_t cert_len = 100 * 1024, small = 10;
    size_t total = 3 + 3 * (3 + cert_len) + 3 + small;
    uint8_t *msg = malloc(total), *p = msg;
    struct cert_chain chain = {0};
    struct cursor c;
    (void)state;

    assert_non_null(msg);
    size_t list_len = total - 3;
    *p++ = (uint8_t)(list_len >> 16);
    *p++ = (uint8_t)(list_len >> 8);
    *p++ = (uint8_t)list_len;
    for (int i = 0; i < 3; i++) {
        *p++ = (uint8_t)(cert_len >> 16);
        *p++ = (uint8_t)(cert_len >> 8);
        *p++ = (uint8_t)cert_len;
        memset(p, 'a' + i, cert_len);
        p += cert_len;
    }
    *p++ = 0;
    *p++ = 0;
    *p++ = (uint8_t)small;
    memset(p, 'z', small);

    c = cursor_make(msg, total);
    assert_true(tls_parse_certificate(&c, false, &chain));
    assert_int_equal(chain.n_certs, 2);
    assert_int_equal(chain.n_certs_total, 4);
    assert_true(chain.truncated);
    assert_int_equal(chain.der_len, 2 * cert_len);
    assert_int_equal(chain.der[cert_len], 'b');
    cert_chain_free(&chain);
    free(msg);
}

/* ---- ServerKeyExchange --------------------------------------------------- */

static void test_openssl_server_key_exchange(void **state)
{
    static const uint8_t dhe[] = {0x00, 0x80, 0xff, 0xff};
    static const uint8_t short_named[] = {0x03, 0x00};
    uint16_t group = 0;
    struct cursor c = body_of(ske12, sizeof(ske12));
    (void)state;

    assert_true(tls_parse_server_key_exchange_group(&c, &group));
    assert_int_equal(group, 0x001d);

    group = 7;
    c = cursor_make(dhe, sizeof(dhe)); /* DHE: p length first */
    assert_false(tls_parse_server_key_exchange_group(&c, &group));
    assert_int_equal(group, 7);
    c = cursor_make(short_named, sizeof(short_named));
    assert_false(tls_parse_server_key_exchange_group(&c, &group));
    c = cursor_make(NULL, 0);
    assert_false(tls_parse_server_key_exchange_group(&c, &group));
}

/* The one rule for the highest offered version: supported_versions by
 * rank, TLS 1.3 final over a draft of it, GREASE and unknown values never;
 * legacy_version when the extension is absent or names nothing known. */
static void test_highest_version(void **state)
{
    (void)state;
    memset(&ch, 0, sizeof ch);
    ch.legacy_version = TLS_V_1_2;
    assert_int_equal(client_hello_highest_version(&ch), TLS_V_1_2);

    ch.has_supported_versions = true;
    uint16_t v1[] = {0x1a1a, 0x7f1c, TLS_V_1_3, TLS_V_1_2};
    memcpy(ch.versions.v, v1, sizeof v1);
    ch.versions.n = 4;
    assert_int_equal(client_hello_highest_version(&ch), TLS_V_1_3);

    uint16_t v2[] = {TLS_V_1_1, 0x7f17, 0x7f1c};
    memcpy(ch.versions.v, v2, sizeof v2);
    ch.versions.n = 3;
    assert_int_equal(client_hello_highest_version(&ch), 0x7f17);

    uint16_t v3[] = {0x0a0a, 0x0305};
    memcpy(ch.versions.v, v3, sizeof v3);
    ch.versions.n = 2;
    assert_int_equal(client_hello_highest_version(&ch), TLS_V_1_2);

    /* More versions than the record keeps: the best of those kept. */
    HS_LIST_CLEAR(ch.versions);
    for (int i = 0; i < 40; i++)
        (void)HS_LIST_PUSH(ch.versions, i == 0 ? TLS_V_1_1 : TLS_V_1_0);
    assert_int_equal(ch.versions.n, HS_LIST_CAP(ch.versions));
    assert_int_equal(ch.versions.total, 40);
    assert_int_equal(client_hello_highest_version(&ch), TLS_V_1_1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_openssl_tls13_client_hello),
        cmocka_unit_test(test_highest_version),
        cmocka_unit_test(test_openssl_client_hello_after_hrr),
        cmocka_unit_test(test_openssl_tls12_client_hello),
        cmocka_unit_test(test_client_hello_every_truncation),
        cmocka_unit_test(test_client_hello_without_extensions),
        cmocka_unit_test(test_client_hello_bad_header_fields),
        cmocka_unit_test(test_hs_list_keeps_first_and_counts_all),
        cmocka_unit_test(test_client_hello_grease_fallback_and_many_ciphers),
        cmocka_unit_test(test_client_hello_cipher_spill),
        cmocka_unit_test(test_client_hello_sni_escaping),
        cmocka_unit_test(test_client_hello_alpn_limits),
        cmocka_unit_test(test_client_hello_all_flags),
        cmocka_unit_test(test_client_hello_malformed_inner_extension),
        cmocka_unit_test(test_client_hello_broken_extension_header),
        cmocka_unit_test(test_client_hello_too_many_extensions),
        cmocka_unit_test(test_sslv2_client_hello),
        cmocka_unit_test(test_sslv2_client_hello_many_kinds),
        cmocka_unit_test(test_sslv2_client_hello_malformed),
        cmocka_unit_test(test_openssl_tls13_server_hello),
        cmocka_unit_test(test_openssl_hello_retry_request),
        cmocka_unit_test(test_hello_retry_request_malformed_key_share),
        cmocka_unit_test(test_openssl_tls12_server_hello),
        cmocka_unit_test(test_server_hello_hand_built),
        cmocka_unit_test(test_draft_server_hello),
        cmocka_unit_test(test_openssl_tls12_certificate),
        cmocka_unit_test(test_openssl_tls13_certificate),
        cmocka_unit_test(test_certificate_empty_and_lying),
        cmocka_unit_test(test_certificate_limits),
        cmocka_unit_test(test_certificate_byte_cap),
        cmocka_unit_test(test_certificate_status),
        cmocka_unit_test(test_openssl_server_key_exchange),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
