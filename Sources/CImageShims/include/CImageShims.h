// PNG decoding through libpng with its setjmp/longjmp error handling kept inside C; the first
// frames of a GIF through giflib, whose input is a C callback; Bulwark's own HEVC decoder for
// libheif (libde265).
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

/// Reads the header: width and height, nothing allocated for pixels. With `check_crc` 0, chunk
/// CRCs are not checked (see bw_png_decode_samples).
void bw_png_read_info(
    const uint8_t *data, size_t size, uint32_t max_dimension, int check_crc, bw_png_result *result);

/// Decodes to 8-bit RGB into `out` (`out_size` must be width * height * 3): palettes expanded,
/// grey copied to the three channels, 16-bit samples reduced to their high byte, alpha dropped,
/// no gamma correction (as Pillow's `convert("RGB")` does).
void bw_png_decode_rgb(
    const uint8_t *data, size_t size, uint32_t max_dimension, uint8_t *out, size_t out_size, bw_png_result *result);

/// Decodes to 8-bit samples in the image's own layout into `out`, whose size must be width *
/// height * channels: 1 channel (a palette index, or grey) for palette and grey images, 2 (grey,
/// alpha), 3 (RGB) or 4 (RGBA). Grey of 1, 2 or 4 bits is scaled to 8, palette indices of fewer
/// bits unpacked, 16-bit samples reduced to their high byte; tRNS is not applied. With
/// `check_crc` 0, chunk CRCs are not checked (for a PNG put together from an animated PNG's
/// frame, whose chunks carry none).
void bw_png_decode_samples(
    const uint8_t *data, size_t size, uint32_t max_dimension, int check_crc, uint8_t *out, size_t out_size,
    bw_png_result *result);


/// Encodes `width` * `height` 8-bit RGB pixels as a PNG (zlib `level` 0-9; `filters` libpng's
/// PNG_FILTER_* bits, 0 for libpng's default choice). Returns 0 and sets `out` (free it with
/// `bw_png_free`) and `out_size`; 1 when it cannot (no pixels, out of memory).
int bw_png_encode_rgb(
    const uint8_t *pixels, uint32_t width, uint32_t height, int level, int filters, uint8_t **out,
    size_t *out_size);

void bw_png_free(uint8_t *data);

/// The CRC-32 of `size` bytes, as a PNG chunk's (zlib's `crc32`).
uint32_t bw_crc32(const uint8_t *data, size_t size);

/// Inflates the zlib stream `data` (a PNG's compressed text) into `out`, at most `capacity`
/// bytes. Returns the bytes written; a stream cut short gives what it held, as Python's
/// `zlib.decompressobj` does. -1 when the stream is damaged, -2 when `capacity` is used up before
/// the stream's end.
long bw_zlib_inflate(const uint8_t *data, size_t size, uint8_t *out, size_t capacity);

/// What went wrong with a GIF, if anything.
typedef enum {
    BW_GIF_OK = 0,
    /// The data ended before the frame did; `offset` is the length of the data.
    BW_GIF_TRUNCATED = 1,
    /// giflib rejected the data, or it holds no frame; `offset` is how far it had read.
    BW_GIF_CORRUPT = 2,
    /// The caller's buffer is not the frame's width * height bytes, or memory ran out.
    BW_GIF_BAD_CALL = 3,
} bw_gif_status;

/// A GIF's logical screen and one of its frames, as far as they were read.
typedef struct {
    bw_gif_status status;
    /// The logical screen.
    uint32_t screen_width;
    uint32_t screen_height;
    /// The frame's place on the screen and its size.
    uint32_t left;
    uint32_t top;
    uint32_t width;
    uint32_t height;
    /// The transparent colour index of the graphic control extension before the frame that sets
    /// one (the last such), or -1.
    int32_t transparent_index;
    /// The disposal method of the graphic control extension before the frame (0 when none says).
    uint32_t disposal;
    /// The logical screen's background colour index.
    uint32_t background_index;
    /// The frame's colour table (its own, else the global one): `colors` entries of 3 bytes;
    /// 0 when the file has neither.
    uint32_t colors;
    uint8_t palette[768];
    /// Bytes of the data read when the error happened.
    size_t offset;
    /// giflib's message, NUL-terminated.
    char message[160];
} bw_gif_result;

/// Reads the screen, the extensions before the first frame and that frame's descriptor and colour
/// table, nothing allocated for pixels.
void bw_gif_read_info(const uint8_t *data, size_t size, bw_gif_result *result);

/// A GIF read frame by frame (opaque).
typedef struct bw_gif_frames bw_gif_frames;

/// Reads the header and the logical screen (`screen_width`, `screen_height`, `background_index`);
/// NULL, with `result` saying why, when they do not read. `data` must outlive the reader.
bw_gif_frames *bw_gif_frames_open(const uint8_t *data, size_t size, bw_gif_result *result);

/// Reads the extensions up to the next frame and its descriptor and colour table into `result`
/// (the frame fields are reset first; the screen's are kept). The pixels of a frame not read with
/// `bw_gif_frames_read` are skipped. Returns 1 for a frame, 0 at the trailer after at least one
/// frame, -1 on an error (`result` says what and where).
int bw_gif_frames_next(bw_gif_frames *frames, bw_gif_result *result);

/// Reads the current frame's colour indices into `out`, row by row in display order (interlaced
/// frames put back in order); `out_size` must be its width * height.
void bw_gif_frames_read(bw_gif_frames *frames, uint8_t *out, size_t out_size, bw_gif_result *result);

void bw_gif_frames_close(bw_gif_frames *frames);

/// Registers Bulwark's own HEVC decoder with libheif, above libheif's built-in one, once per
/// process (hevc_decoder.c): libde265 on as many worker threads as the process may run on (at
/// most 8; libheif's own starts one), otherwise decoding as libheif's own does. Its libheif id is
/// "bulwark-libde265". Returns the worker threads each decoder starts, 0 when libheif refused
/// the registration (its own decoder is used then).
int bw_hevc_decoder_install(void);

#ifdef __cplusplus
}
#endif

#endif
