// The first frame of a GIF through giflib, read from memory through giflib's input callback.
#include "CImageShims.h"

#include <gif_lib.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    const uint8_t *data;
    size_t size;
    size_t offset;
    /// Set when giflib asked for bytes past the end of the data.
    int ran_out;
} bw_gif_reader;

static int bw_gif_read(GifFileType *gif, GifByteType *out, int length) {
    bw_gif_reader *r = (bw_gif_reader *)gif->UserData;
    if (length <= 0) return 0;
    size_t left = r->size - r->offset;
    size_t n = (size_t)length;
    if (n > left) {
        n = left;
        r->ran_out = 1;
    }
    memcpy(out, r->data + r->offset, n);
    r->offset += n;
    return (int)n;
}

static void bw_gif_fail(bw_gif_result *result, const bw_gif_reader *reader, int error, const char *what) {
    if (reader->ran_out) {
        result->status = BW_GIF_TRUNCATED;
        result->offset = reader->size;
        snprintf(result->message, sizeof result->message, "the data ends inside the %s", what);
        return;
    }
    const char *text = GifErrorString(error);
    result->status = BW_GIF_CORRUPT;
    result->offset = reader->offset;
    snprintf(result->message, sizeof result->message, "%s: %s", what, text ? text : "unknown error");
}

/// Opens the data and reads up to the first frame's descriptor; nil (with `result` set) on failure.
static GifFileType *bw_gif_open(const uint8_t *data, size_t size, bw_gif_reader *reader, bw_gif_result *result) {
    memset(result, 0, sizeof *result);
    result->transparent_index = -1;
    reader->data = data;
    reader->size = data ? size : 0;
    reader->offset = 0;
    reader->ran_out = 0;
    int error = 0;
    GifFileType *gif = DGifOpen(reader, bw_gif_read, &error);
    if (!gif) {
        bw_gif_fail(result, reader, error, "header");
        return NULL;
    }
    result->screen_width = (uint32_t)(gif->SWidth < 0 ? 0 : gif->SWidth);
    result->screen_height = (uint32_t)(gif->SHeight < 0 ? 0 : gif->SHeight);
    for (;;) {
        GifRecordType type;
        if (DGifGetRecordType(gif, &type) != GIF_OK) {
            bw_gif_fail(result, reader, gif->Error, "record");
            break;
        }
        if (type == IMAGE_DESC_RECORD_TYPE) {
            if (DGifGetImageDesc(gif) != GIF_OK) {
                bw_gif_fail(result, reader, gif->Error, "frame descriptor");
                break;
            }
            GifImageDesc *d = &gif->Image;
            if (d->Left < 0 || d->Top < 0 || d->Width < 0 || d->Height < 0) {
                result->status = BW_GIF_CORRUPT;
                result->offset = reader->offset;
                snprintf(result->message, sizeof result->message, "the first frame's descriptor is negative");
                break;
            }
            result->left = (uint32_t)d->Left;
            result->top = (uint32_t)d->Top;
            result->width = (uint32_t)d->Width;
            result->height = (uint32_t)d->Height;
            ColorMapObject *map = d->ColorMap ? d->ColorMap : gif->SColorMap;
            if (map && map->Colors && map->ColorCount > 0) {
                int n = map->ColorCount > 256 ? 256 : map->ColorCount;
                result->colors = (uint32_t)n;
                for (int i = 0; i < n; i++) {
                    result->palette[3 * i] = map->Colors[i].Red;
                    result->palette[3 * i + 1] = map->Colors[i].Green;
                    result->palette[3 * i + 2] = map->Colors[i].Blue;
                }
            }
            return gif;
        }
        if (type == EXTENSION_RECORD_TYPE) {
            int code = 0;
            GifByteType *block = NULL;
            if (DGifGetExtension(gif, &code, &block) != GIF_OK) {
                bw_gif_fail(result, reader, gif->Error, "extension");
                break;
            }
            // A graphic control extension: flags, delay (2 bytes), transparent index.
            if (code == GRAPHICS_EXT_FUNC_CODE && block && block[0] >= 4 && (block[1] & 1)) {
                result->transparent_index = block[4];
            }
            while (block) {
                if (DGifGetExtensionNext(gif, &block) != GIF_OK) {
                    bw_gif_fail(result, reader, gif->Error, "extension");
                    break;
                }
            }
            if (result->status != BW_GIF_OK) break;
            continue;
        }
        if (type == TERMINATE_RECORD_TYPE) {
            result->status = BW_GIF_CORRUPT;
            result->offset = reader->offset;
            snprintf(result->message, sizeof result->message, "the file ends before its first frame");
            break;
        }
        // UNDEFINED_RECORD_TYPE and the screen descriptor are not records giflib returns here.
        result->status = BW_GIF_CORRUPT;
        result->offset = reader->offset;
        snprintf(result->message, sizeof result->message, "an unknown record before the first frame");
        break;
    }
    DGifCloseFile(gif, NULL);
    return NULL;
}

void bw_gif_read_info(const uint8_t *data, size_t size, bw_gif_result *result) {
    bw_gif_reader reader;
    GifFileType *gif = bw_gif_open(data, size, &reader, result);
    if (gif) DGifCloseFile(gif, NULL);
}

void bw_gif_decode_indices(const uint8_t *data, size_t size, uint8_t *out, size_t out_size, bw_gif_result *result) {
    bw_gif_reader reader;
    GifFileType *gif = bw_gif_open(data, size, &reader, result);
    if (!gif) return;
    size_t w = result->width;
    size_t h = result->height;
    if (w * h != out_size || (out_size > 0 && !out)) {
        result->status = BW_GIF_BAD_CALL;
        snprintf(result->message, sizeof result->message, "the buffer is not width * height bytes");
        DGifCloseFile(gif, NULL);
        return;
    }
    // Interlaced frames store rows 0, 8, 16, ...; then 4, 12, ...; then 2, 6, ...; then 1, 3, ...
    static const size_t start[4] = {0, 4, 2, 1};
    static const size_t step[4] = {8, 8, 4, 2};
    int passes = gif->Image.Interlace ? 4 : 1;
    for (int pass = 0; pass < passes && result->status == BW_GIF_OK; pass++) {
        size_t first = gif->Image.Interlace ? start[pass] : 0;
        size_t stride = gif->Image.Interlace ? step[pass] : 1;
        for (size_t row = first; row < h; row += stride) {
            if (DGifGetLine(gif, out + row * w, (int)w) != GIF_OK) {
                bw_gif_fail(result, &reader, gif->Error, "first frame");
                break;
            }
        }
    }
    DGifCloseFile(gif, NULL);
}
