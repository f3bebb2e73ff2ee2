// libpng reports errors by longjmp. Everything between setjmp and longjmp stays in this file,
// so no Swift frame is ever skipped over.
#include "CImageShims.h"

#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/// Read-only after setup; progress is recorded in the caller's result, which outlives the longjmp.
typedef struct {
    const uint8_t *data;
    size_t size;
    bw_png_result *result;
} bw_reader;

static void bw_read(png_structp png, png_bytep out, size_t length) {
    const bw_reader *r = (const bw_reader *)png_get_io_ptr(png);
    size_t offset = r->result->offset;
    if (length > r->size - offset) {
        r->result->status = BW_PNG_TRUNCATED;
        png_error(png, "the data ends inside the image");
    }
    memcpy(out, r->data + offset, length);
    r->result->offset = offset + length;
}

static void bw_error(png_structp png, png_const_charp message) {
    const bw_reader *r = (const bw_reader *)png_get_error_ptr(png);
    snprintf(r->result->message, sizeof r->result->message, "%s", message);
    png_longjmp(png, 1);
}

static void bw_warning(png_structp png, png_const_charp message) {
    (void)png;
    (void)message;
}

static void bw_fail(bw_png_result *result, bw_png_status status, const char *message) {
    result->status = status;
    snprintf(result->message, sizeof result->message, "%s", message);
}

/// Header only when `out` is NULL; otherwise the whole image into `out`, as 8-bit RGB or, with
/// `samples`, as 8-bit samples in the image's own layout (see bw_png_decode_samples).
static void bw_png_run(
    const uint8_t *data, size_t size, uint32_t max_dimension, int samples, int check_crc, uint8_t *out,
    size_t out_size, bw_png_result *result) {
    memset(result, 0, sizeof *result);
    bw_reader reader = {data, size, result};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &reader, bw_error, bw_warning);
    if (png == NULL) {
        bw_fail(result, BW_PNG_BAD_CALL, "out of memory");
        return;
    }
    png_infop info = png_create_info_struct(png);
    if (info == NULL) {
        png_destroy_read_struct(&png, NULL, NULL);
        bw_fail(result, BW_PNG_BAD_CALL, "out of memory");
        return;
    }
    png_bytep *volatile rows = NULL;
    if (setjmp(png_jmpbuf(png))) {
        free((void *)rows);
        png_destroy_read_struct(&png, &info, NULL);
        if (result->status == BW_PNG_OK) {
            result->status = BW_PNG_CORRUPT;
        }
        return;
    }
    // Dimensions are checked here against the caller's limit, so libpng's own must not stop first.
    png_set_user_limits(png, 0x7fffffff, 0x7fffffff);
    png_set_chunk_malloc_max(png, 8u << 20);
    png_set_chunk_cache_max(png, 1000);
    if (!check_crc) {
        png_set_crc_action(png, PNG_CRC_QUIET_USE, PNG_CRC_QUIET_USE);
    }
    png_set_read_fn(png, &reader, bw_read);
    png_read_info(png, info);

    png_uint_32 width = 0, height = 0;
    int bit_depth = 0, color_type = 0;
    png_get_IHDR(png, info, &width, &height, &bit_depth, &color_type, NULL, NULL, NULL);
    result->width = width;
    result->height = height;
    if (width > max_dimension || height > max_dimension) {
        png_destroy_read_struct(&png, &info, NULL);
        bw_fail(result, BW_PNG_TOO_LARGE, "dimension over the limit");
        return;
    }
    if (out == NULL) {
        png_destroy_read_struct(&png, &info, NULL);
        return;
    }

    if (color_type == PNG_COLOR_TYPE_PALETTE) {
        if (samples) {
            png_set_packing(png);
        } else {
            png_set_palette_to_rgb(png);
        }
    }
    if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) {
        png_set_expand_gray_1_2_4_to_8(png);
    }
    if (bit_depth == 16) {
        png_set_strip_16(png);
    }
    if (!samples) {
        if (color_type == PNG_COLOR_TYPE_GRAY || color_type == PNG_COLOR_TYPE_GRAY_ALPHA) {
            png_set_gray_to_rgb(png);
        }
        png_set_strip_alpha(png);
    }
    png_set_interlace_handling(png);
    png_read_update_info(png, info);

    size_t row_bytes = (size_t)width * (samples ? png_get_channels(png, info) : 3);
    if (png_get_rowbytes(png, info) != row_bytes || out_size != row_bytes * height) {
        png_destroy_read_struct(&png, &info, NULL);
        bw_fail(result, BW_PNG_BAD_CALL, "unexpected row layout");
        return;
    }
    rows = (png_bytep *)malloc(sizeof(png_bytep) * (height > 0 ? height : 1));
    if (rows == NULL) {
        png_destroy_read_struct(&png, &info, NULL);
        bw_fail(result, BW_PNG_BAD_CALL, "out of memory");
        return;
    }
    for (png_uint_32 i = 0; i < height; i++) {
        rows[i] = out + (size_t)i * row_bytes;
    }
    png_read_image(png, rows);
    free((void *)rows);
    rows = NULL;
    png_destroy_read_struct(&png, &info, NULL);
}

void bw_png_read_info(
    const uint8_t *data, size_t size, uint32_t max_dimension, int check_crc, bw_png_result *result) {
    bw_png_run(data, size, max_dimension, 0, check_crc, NULL, 0, result);
}

void bw_png_decode_rgb(
    const uint8_t *data, size_t size, uint32_t max_dimension, uint8_t *out, size_t out_size, bw_png_result *result) {
    if (out == NULL) {
        memset(result, 0, sizeof *result);
        bw_fail(result, BW_PNG_BAD_CALL, "no output buffer");
        return;
    }
    bw_png_run(data, size, max_dimension, 0, 1, out, out_size, result);
}

void bw_png_decode_samples(
    const uint8_t *data, size_t size, uint32_t max_dimension, int check_crc, uint8_t *out, size_t out_size,
    bw_png_result *result) {
    if (out == NULL) {
        memset(result, 0, sizeof *result);
        bw_fail(result, BW_PNG_BAD_CALL, "no output buffer");
        return;
    }
    bw_png_run(data, size, max_dimension, 1, check_crc, out, out_size, result);
}

// MARK: Writing

typedef struct {
    uint8_t *data;
    size_t size;
    size_t capacity;
} bw_writer;

static void bw_write(png_structp png, png_bytep bytes, size_t length) {
    bw_writer *w = (bw_writer *)png_get_io_ptr(png);
    if (length > w->capacity - w->size) {
        size_t capacity = w->capacity ? w->capacity : 4096;
        while (length > capacity - w->size) {
            if (capacity > ((size_t)-1) / 2) png_error(png, "out of memory");
            capacity *= 2;
        }
        uint8_t *grown = (uint8_t *)realloc(w->data, capacity);
        if (grown == NULL) png_error(png, "out of memory");
        w->data = grown;
        w->capacity = capacity;
    }
    memcpy(w->data + w->size, bytes, length);
    w->size += length;
}

static void bw_flush(png_structp png) { (void)png; }

static void bw_write_error(png_structp png, png_const_charp message) {
    (void)message;
    png_longjmp(png, 1);
}

int bw_png_encode_rgb(
    const uint8_t *pixels, uint32_t width, uint32_t height, int level, int filters, uint8_t **out,
    size_t *out_size) {
    *out = NULL;
    *out_size = 0;
    if (pixels == NULL || width == 0 || height == 0) return 1;
    bw_writer writer = {NULL, 0, 0};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, bw_write_error, bw_warning);
    if (png == NULL) return 1;
    png_infop info = png_create_info_struct(png);
    if (info == NULL) {
        png_destroy_write_struct(&png, NULL);
        return 1;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        free(writer.data);
        return 1;
    }
    png_set_write_fn(png, &writer, bw_write, bw_flush);
    png_set_compression_level(png, level);
    if (filters != 0) png_set_filter(png, PNG_FILTER_TYPE_BASE, filters);
    png_set_IHDR(
        png, info, width, height, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
        PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (uint32_t y = 0; y < height; y++) {
        png_write_row(png, (png_const_bytep)(pixels + (size_t)y * width * 3));
    }
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    *out = writer.data;
    *out_size = writer.size;
    return 0;
}

void bw_png_free(uint8_t *data) { free(data); }

uint32_t bw_crc32(const uint8_t *data, size_t size) {
    uLong crc = crc32(0L, Z_NULL, 0);
    while (size > 0) {
        uInt part = size > 0x40000000 ? 0x40000000 : (uInt)size;
        crc = crc32(crc, data, part);
        data += part;
        size -= part;
    }
    return (uint32_t)crc;
}

long bw_zlib_inflate(const uint8_t *data, size_t size, uint8_t *out, size_t capacity) {
    if (size > 0x40000000 || capacity > 0x40000000) return -2;
    z_stream stream;
    memset(&stream, 0, sizeof stream);
    if (inflateInit(&stream) != Z_OK) return -1;
    stream.next_in = (Bytef *)data;
    stream.avail_in = (uInt)size;
    stream.next_out = out;
    stream.avail_out = (uInt)capacity;
    int status = Z_OK;
    while (status == Z_OK && stream.avail_in > 0 && stream.avail_out > 0) status = inflate(&stream, Z_NO_FLUSH);
    long written = (long)(capacity - stream.avail_out);
    int full = stream.avail_out == 0;
    inflateEnd(&stream);
    if (status == Z_STREAM_END) return written;
    if (status != Z_OK && status != Z_BUF_ERROR) return -1;
    // Room used up before the stream's end: it may hold more (input left, or output pending).
    return full ? -2 : written;
}
