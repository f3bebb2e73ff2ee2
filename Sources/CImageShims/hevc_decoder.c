// Bulwark's own HEVC decoder for libheif: Debian's libde265, on as many worker threads as the
// process may run on (at most 8), where libheif 1.15's own plugin starts one and so decodes a
// picture on one thread: libde265 decodes the rows of a picture written with wavefront parallel
// processing (as x265 writes by default) side by side. libheif still decodes a grid's tiles on
// threads of its own.
//
// Registered with a priority above libheif's built-in libde265 plugin (100), so libheif picks it
// for every HEVC image of a file: the primary image, a grid's tiles, an alpha plane. Everything
// else is as libheif's own plugin does it: the stream's NAL units pushed as the file holds them,
// the last picture decoded taken, its planes handed over as they are with the colour description
// its stream carries, and the conversion to RGB left to libheif.
#define _GNU_SOURCE
#include "CImageShims.h"

#include <libde265/de265.h>
#include <libheif/heif.h>
#include <libheif/heif_plugin.h>

#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define BW_MAX_WORKER_THREADS 8

static int bw_hevc_worker_threads = 1;

typedef struct {
    de265_decoder_context *context;
    int strict;
} bw_hevc_decoder;

static const char *bw_hevc_name(void) { return "Bulwark HEVC (libde265 on worker threads)"; }

/// libheif calls these when the plugin is registered and when libheif is deinitialised;
/// libde265 counts its initialisations.
static void bw_hevc_init(void) { de265_init(); }

static void bw_hevc_deinit(void) { de265_free(); }

static int bw_hevc_supports(enum heif_compression_format format) {
    return format == heif_compression_HEVC ? 150 : 0;
}

/// Bytes a sample takes in libde265's planes: one up to 8 bits, two above.
static int bw_bytes_per_sample(const struct de265_image *image, int channel) {
    return de265_get_bits_per_pixel(image, channel) > 8 ? 2 : 1;
}

// --- the decoder ---

static struct heif_error bw_hevc_error(enum heif_error_code code, enum heif_suberror_code subcode, const char *message) {
    struct heif_error error = {code, subcode, message};
    return error;
}

static struct heif_error bw_hevc_ok(void) { return bw_hevc_error(heif_error_Ok, heif_suberror_Unspecified, "Success"); }

static struct heif_error bw_hevc_new(void **out) {
    bw_hevc_decoder *decoder = calloc(1, sizeof(bw_hevc_decoder));
    if (!decoder) {
        return bw_hevc_error(heif_error_Memory_allocation_error, heif_suberror_Unspecified, "no memory for an HEVC decoder");
    }
    decoder->context = de265_new_decoder();
    if (!decoder->context) {
        free(decoder);
        return bw_hevc_error(heif_error_Memory_allocation_error, heif_suberror_Unspecified, "no memory for an HEVC decoder");
    }
    if (bw_hevc_worker_threads > 0) {
        de265_start_worker_threads(decoder->context, bw_hevc_worker_threads);
    }
    *out = decoder;
    return bw_hevc_ok();
}

static void bw_hevc_free(void *raw) {
    bw_hevc_decoder *decoder = raw;
    if (!decoder) {
        return;
    }
    de265_free_decoder(decoder->context);
    free(decoder);
}

static void bw_hevc_set_strict(void *raw, int flag) { ((bw_hevc_decoder *)raw)->strict = flag; }

/// libheif hands over the stream as NAL units each behind a 4-byte big-endian length: the
/// parameter sets from the `hvcC` box, then the image's data as the file holds it.
static struct heif_error bw_hevc_push(void *raw, const void *data, size_t size) {
    bw_hevc_decoder *decoder = raw;
    const uint8_t *bytes = data;
    size_t at = 0;
    while (at < size) {
        if (size - at < 4) {
            return bw_hevc_error(heif_error_Decoder_plugin_error, heif_suberror_End_of_data,
                                 "HEVC data ends inside a NAL unit's length");
        }
        uint32_t length = (uint32_t)bytes[at] << 24 | (uint32_t)bytes[at + 1] << 16 | (uint32_t)bytes[at + 2] << 8 | bytes[at + 3];
        at += 4;
        if (length > size - at || length > INT32_MAX) {
            return bw_hevc_error(heif_error_Decoder_plugin_error, heif_suberror_End_of_data,
                                 "an HEVC NAL unit is longer than the data left");
        }
        de265_error pushed = de265_push_NAL(decoder->context, bytes + at, (int)length, 0, NULL);
        if (!de265_isOK(pushed)) {
            return bw_hevc_error(heif_error_Memory_allocation_error, heif_suberror_Unspecified,
                                 "no memory for the HEVC data");
        }
        at += length;
    }
    return bw_hevc_ok();
}

/// Hands the picture's planes to libheif as they are, up to 16 bits a sample.
static struct heif_error bw_hevc_picture(bw_hevc_decoder *decoder, const struct de265_image *picture, struct heif_image **out) {
    enum de265_chroma chroma = de265_get_chroma_format(picture);
    int planes = chroma == de265_chroma_mono ? 1 : 3;
    int depth = de265_get_bits_per_pixel(picture, 0);
    for (int c = 1; c < planes; c++) {
        if (de265_get_bits_per_pixel(picture, c) != depth) {
            return bw_hevc_error(heif_error_Unsupported_feature, heif_suberror_Unsupported_color_conversion,
                                 "the HEVC picture's luma and chroma differ in bits per sample");
        }
    }
    enum heif_chroma heifChroma;
    switch (chroma) {
    case de265_chroma_mono: heifChroma = heif_chroma_monochrome; break;
    case de265_chroma_420: heifChroma = heif_chroma_420; break;
    case de265_chroma_422: heifChroma = heif_chroma_422; break;
    case de265_chroma_444: heifChroma = heif_chroma_444; break;
    default:
        return bw_hevc_error(heif_error_Unsupported_feature, heif_suberror_Unsupported_color_conversion,
                             "the HEVC picture's chroma format is unknown");
    }
    int width = de265_get_image_width(picture, 0), height = de265_get_image_height(picture, 0);
    if (width <= 0 || height <= 0) {
        return bw_hevc_error(heif_error_Decoder_plugin_error, heif_suberror_Invalid_image_size,
                             "the HEVC picture has no pixels");
    }
    struct heif_image *image = NULL;
    struct heif_error error = heif_image_create(
        width, height, chroma == de265_chroma_mono ? heif_colorspace_monochrome : heif_colorspace_YCbCr, heifChroma, &image);
    if (error.code != heif_error_Ok) {
        return error;
    }
    static const enum heif_channel channels[3] = {heif_channel_Y, heif_channel_Cb, heif_channel_Cr};
    for (int c = 0; c < planes; c++) {
        int w = de265_get_image_width(picture, c), h = de265_get_image_height(picture, c);
        int sourceStride = 0;
        const uint8_t *source = de265_get_image_plane(picture, c, &sourceStride);
        if (w <= 0 || h <= 0 || !source) {
            heif_image_release(image);
            return bw_hevc_error(heif_error_Decoder_plugin_error, heif_suberror_Invalid_image_size,
                                 "an HEVC picture's plane has no pixels");
        }
        error = heif_image_add_plane(image, channels[c], w, h, depth);
        if (error.code != heif_error_Ok) {
            heif_image_release(image);
            return error;
        }
        int targetStride = 0;
        uint8_t *target = heif_image_get_plane(image, channels[c], &targetStride);
        size_t row = (size_t)w * (size_t)bw_bytes_per_sample(picture, c);
        for (int y = 0; y < h; y++) {
            memcpy(target + (size_t)y * (size_t)targetStride, source + (size_t)y * (size_t)sourceStride, row);
        }
    }
    // The colour description of the stream (its VUI), for libheif's conversion to RGB when the
    // file has none of its own. A value libheif does not know is left unspecified, or with strict
    // decoding refused.
    struct heif_color_profile_nclx *nclx = heif_nclx_color_profile_alloc();
    if (nclx) {
        struct heif_error set[3] = {
            heif_nclx_color_profile_set_color_primaries(nclx, (uint16_t)de265_get_image_colour_primaries(picture)),
            heif_nclx_color_profile_set_transfer_characteristics(nclx, (uint16_t)de265_get_image_transfer_characteristics(picture)),
            heif_nclx_color_profile_set_matrix_coefficients(nclx, (uint16_t)de265_get_image_matrix_coefficients(picture)),
        };
        for (int k = 0; k < 3; k++) {
            if (set[k].code != heif_error_Ok && decoder->strict) {
                heif_nclx_color_profile_free(nclx);
                heif_image_release(image);
                return set[k];
            }
        }
        nclx->full_range_flag = de265_get_image_full_range_flag(picture) ? 1 : 0;
        heif_image_set_nclx_color_profile(image, nclx);
        heif_nclx_color_profile_free(nclx);
    }
    *out = image;
    return bw_hevc_ok();
}

/// Decodes everything pushed; the last picture the stream gives is the image (an image item
/// holds one).
static struct heif_error bw_hevc_decode(void *raw, struct heif_image **out) {
    bw_hevc_decoder *decoder = raw;
    *out = NULL;
    de265_flush_data(decoder->context);
    int more = 0;
    do {
        more = 0;
        de265_error decoded = de265_decode(decoder->context, &more);
        if (decoded != DE265_OK) {
            break;  // what was decoded stands; no picture at all is the error below
        }
        const struct de265_image *picture = de265_get_next_picture(decoder->context);
        if (picture) {
            struct heif_image *image = NULL;
            struct heif_error result = bw_hevc_picture(decoder, picture, &image);
            de265_release_next_picture(decoder->context);
            if (result.code != heif_error_Ok) {
                if (*out) {
                    heif_image_release(*out);
                    *out = NULL;
                }
                return result;
            }
            if (*out) {
                heif_image_release(*out);
            }
            *out = image;
        }
    } while (more);
    if (!*out) {
        return bw_hevc_error(heif_error_Decoder_plugin_error, heif_suberror_Unspecified,
                             "the HEVC data gave no picture");
    }
    return bw_hevc_ok();
}

static const struct heif_decoder_plugin bw_hevc_plugin = {
    .plugin_api_version = 3,
    .get_plugin_name = bw_hevc_name,
    .init_plugin = bw_hevc_init,
    .deinit_plugin = bw_hevc_deinit,
    .does_support_format = bw_hevc_supports,
    .new_decoder = bw_hevc_new,
    .free_decoder = bw_hevc_free,
    .push_data = bw_hevc_push,
    .decode_image = bw_hevc_decode,
    .set_strict_decoding = bw_hevc_set_strict,
    .id_name = "bulwark-libde265",
};

static pthread_once_t bw_hevc_once = PTHREAD_ONCE_INIT;
static int bw_hevc_registered = 0;

static void bw_hevc_register(void) {
    cpu_set_t cpus;
    CPU_ZERO(&cpus);
    int count = sched_getaffinity(0, sizeof(cpus), &cpus) == 0 ? CPU_COUNT(&cpus) : 1;
    bw_hevc_worker_threads = count < 1 ? 1 : (count > BW_MAX_WORKER_THREADS ? BW_MAX_WORKER_THREADS : count);
    struct heif_error error = heif_register_decoder_plugin(&bw_hevc_plugin);
    bw_hevc_registered = error.code == heif_error_Ok;
}

int bw_hevc_decoder_install(void) {
    pthread_once(&bw_hevc_once, bw_hevc_register);
    return bw_hevc_registered ? bw_hevc_worker_threads : 0;
}
