// PNG decoding through libpng with its setjmp/longjmp error handling kept inside C.
#ifndef BULWARK_CIMAGESHIMS_H
#define BULWARK_CIMAGESHIMS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// What went wrong, if anything.
typedef enum {
    BW_PNG_OK = 0,
    /// The data ended before the image did; `offset` is the length of the data.
    BW_PNG_TRUNCATED = 1,
    /// libpng rejected the data; `offset` is how far it had read.
    BW_PNG_CORRUPT = 2,
    /// Wider or higher than `max_dimension`.
    BW_PNG_TOO_LARGE = 3,
    /// The caller's buffer is not width * height * 3 bytes, or memory ran out.
    BW_PNG_BAD_CALL = 4,
} bw_png_status;

typedef struct {
    bw_png_status status;
    uint32_t width;
    uint32_t height;
    /// Bytes of the data read when the error happened.
    size_t offset;
    /// libpng's message, NUL-terminated.
    char message[160];
} bw_png_result;

/// Reads the header: width and height, nothing allocated for pixels.
void bw_png_read_info(const uint8_t *data, size_t size, uint32_t max_dimension, bw_png_result *result);

/// Decodes to 8-bit RGB into `out` (`out_size` must be width * height * 3): palettes expanded,
/// grey copied to the three channels, 16-bit samples reduced to their high byte, alpha dropped,
/// no gamma correction (as Pillow's `convert("RGB")` does).
void bw_png_decode_rgb(
    const uint8_t *data, size_t size, uint32_t max_dimension, uint8_t *out, size_t out_size, bw_png_result *result);

#ifdef __cplusplus
}
#endif

#endif
