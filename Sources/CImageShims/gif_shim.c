// The frames of a GIF through giflib, read from memory through giflib's input callback.
#include "CImageShims.h"

#include <gif_lib.h>
#include <stdio.h>
#include <stdlib.h>
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

struct bw_gif_frames {
    GifFileType *gif;
    bw_gif_reader reader;
    /// Frames whose descriptor has been read.
    uint32_t frames;
    /// Set while the current frame's pixels are still unread.
    int unread;
};

/// Skips the current frame's compressed pixels, unread.
static int bw_gif_skip_pixels(bw_gif_frames *f, bw_gif_result *result) {
    int code_size = 0;
    GifByteType *block = NULL;
    if (DGifGetCode(f->gif, &code_size, &block) != GIF_OK) {
        bw_gif_fail(result, &f->reader, f->gif->Error, "frame");
        return 0;
    }
    while (block) {
        if (DGifGetCodeNext(f->gif, &block) != GIF_OK) {
            bw_gif_fail(result, &f->reader, f->gif->Error, "frame");
            return 0;
        }
    }
    f->unread = 0;
    return 1;
}

static void bw_gif_clear_frame(bw_gif_result *result) {
    result->status = BW_GIF_OK;
    result->left = result->top = result->width = result->height = 0;
    result->transparent_index = -1;
    result->disposal = 0;
    result->colors = 0;
    result->offset = 0;
    result->message[0] = 0;
}

bw_gif_frames *bw_gif_frames_open(const uint8_t *data, size_t size, bw_gif_result *result) {
    memset(result, 0, sizeof *result);
    result->transparent_index = -1;
    bw_gif_frames *f = calloc(1, sizeof *f);
    if (!f) {
        result->status = BW_GIF_BAD_CALL;
        snprintf(result->message, sizeof result->message, "out of memory");
        return NULL;
    }
    f->reader.data = data;
    f->reader.size = data ? size : 0;
    int error = 0;
    f->gif = DGifOpen(&f->reader, bw_gif_read, &error);
    if (!f->gif) {
        bw_gif_fail(result, &f->reader, error, "header");
        free(f);
        return NULL;
    }
    result->screen_width = (uint32_t)(f->gif->SWidth < 0 ? 0 : f->gif->SWidth);
    result->screen_height = (uint32_t)(f->gif->SHeight < 0 ? 0 : f->gif->SHeight);
    result->background_index = (uint32_t)(f->gif->SBackGroundColor < 0 ? 0 : f->gif->SBackGroundColor);
    return f;
}

int bw_gif_frames_next(bw_gif_frames *f, bw_gif_result *result) {
    bw_gif_clear_frame(result);
    if (f->unread && !bw_gif_skip_pixels(f, result)) return -1;
    GifFileType *gif = f->gif;
    const char *which = f->frames == 0 ? "the first frame" : "the frame";
    for (;;) {
        GifRecordType type;
        if (DGifGetRecordType(gif, &type) != GIF_OK) {
            bw_gif_fail(result, &f->reader, gif->Error, "record");
            return -1;
        }
        if (type == IMAGE_DESC_RECORD_TYPE) {
            if (DGifGetImageDesc(gif) != GIF_OK) {
                bw_gif_fail(result, &f->reader, gif->Error, "frame descriptor");
                return -1;
            }
            GifImageDesc *d = &gif->Image;
            if (d->Left < 0 || d->Top < 0 || d->Width < 0 || d->Height < 0) {
                result->status = BW_GIF_CORRUPT;
                result->offset = f->reader.offset;
                snprintf(result->message, sizeof result->message, "%s's descriptor is negative", which);
                return -1;
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
            f->frames += 1;
            f->unread = 1;
            return 1;
        }
        if (type == EXTENSION_RECORD_TYPE) {
            int code = 0;
            GifByteType *block = NULL;
            if (DGifGetExtension(gif, &code, &block) != GIF_OK) {
                bw_gif_fail(result, &f->reader, gif->Error, "extension");
                return -1;
            }
            // A graphic control extension: flags (disposal in bits 2-4, transparency in bit 0),
            // delay (2 bytes), transparent index.
            if (code == GRAPHICS_EXT_FUNC_CODE && block && block[0] >= 4) {
                result->disposal = (block[1] >> 2) & 7;
                if (block[1] & 1) result->transparent_index = block[4];
            }
            while (block) {
                if (DGifGetExtensionNext(gif, &block) != GIF_OK) {
                    bw_gif_fail(result, &f->reader, gif->Error, "extension");
                    return -1;
                }
            }
            continue;
        }
        if (type == TERMINATE_RECORD_TYPE) {
            if (f->frames > 0) return 0;
            result->status = BW_GIF_CORRUPT;
            result->offset = f->reader.offset;
            snprintf(result->message, sizeof result->message, "the file ends before its first frame");
            return -1;
        }
        // UNDEFINED_RECORD_TYPE and the screen descriptor are not records giflib returns here.
        result->status = BW_GIF_CORRUPT;
        result->offset = f->reader.offset;
        snprintf(result->message, sizeof result->message, "an unknown record before %s", which);
        return -1;
    }
}

void bw_gif_frames_read(bw_gif_frames *f, uint8_t *out, size_t out_size, bw_gif_result *result) {
    GifFileType *gif = f->gif;
    size_t w = result->width;
    size_t h = result->height;
    if (!f->unread || w * h != out_size || (out_size > 0 && !out)) {
        result->status = BW_GIF_BAD_CALL;
        snprintf(result->message, sizeof result->message, "no frame to read, or the buffer is not width * height bytes");
        return;
    }
    // A frame with no pixels still has its compressed data (an end code), to be passed over.
    if (w == 0 || h == 0) {
        bw_gif_skip_pixels(f, result);
        return;
    }
    f->unread = 0;
    const char *which = f->frames == 1 ? "first frame" : "frame";
    // Interlaced frames store rows 0, 8, 16, ...; then 4, 12, ...; then 2, 6, ...; then 1, 3, ...
    static const size_t start[4] = {0, 4, 2, 1};
    static const size_t step[4] = {8, 8, 4, 2};
    int passes = gif->Image.Interlace ? 4 : 1;
    for (int pass = 0; pass < passes; pass++) {
        size_t first = gif->Image.Interlace ? start[pass] : 0;
        size_t stride = gif->Image.Interlace ? step[pass] : 1;
        for (size_t row = first; row < h; row += stride) {
            if (DGifGetLine(gif, out + row * w, (int)w) != GIF_OK) {
                bw_gif_fail(result, &f->reader, gif->Error, which);
                return;
            }
        }
    }
}

void bw_gif_frames_close(bw_gif_frames *f) {
    if (!f) return;
    DGifCloseFile(f->gif, NULL);
    free(f);
}

void bw_gif_read_info(const uint8_t *data, size_t size, bw_gif_result *result) {
    bw_gif_frames *f = bw_gif_frames_open(data, size, result);
    if (!f) return;
    bw_gif_frames_next(f, result);
    bw_gif_frames_close(f);
}
