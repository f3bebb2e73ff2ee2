#include "CVideoShims.h"

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/display.h>
#include <libavutil/imgutils.h>
#include <libavutil/mem.h>
#include <libswscale/swscale.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

// The input in memory, read through libavformat's callbacks.
typedef struct {
    const uint8_t *data;
    size_t size;
    size_t position;
} bw_memory_input;

struct bw_video {
    bw_memory_input input;
    AVIOContext *io;
    AVFormatContext *format;
    AVCodecContext *decoder;
    AVFrame *frame;
    AVPacket *packet;
    struct SwsContext *scaler;
    int stream;
    int width, height;     // the stream's declared size: every frame is scaled to it
    // How a frame is turned for display: the pixel at (p, q) of the stream's picture goes to
    // (a p + c q, b p + d q), shifted to start at 0 (each of a, b, c, d is -1, 0 or 1), as the
    // display matrix maps points; the identity when there is none.
    int a, b, c, d;
    uint8_t *coded;        // the frame in RGB before it is turned, when it is
    AVRational time_base;
    double frame_seconds;  // one frame's duration, for frames without a time
    uint64_t max_pixels_decoded;
    uint64_t pixels_decoded;
    int have_frame;        // `frame` holds a decoded frame not yet passed by
    double frame_time;
    int have_origin;
    double origin;         // the first frame's time: times are given from it
    double last_time;
    int flushed;           // the decoder has been told the stream ended
    double target;         // the time asked for: frames before it that nothing refers to are skipped
    int seeked;            // moved by bw_video_seek, and no frame decoded since
    int skipping;          // bw_video_frame_at moves past key frames (bw_video_skip_key_frames)
    int index_asked;       // the container was asked once for an index it reads only on a seek
    int colour_as_stated;  // frames converted with the matrix and range their stream states
};

static int read_input(void *opaque, uint8_t *buffer, int size) {
    bw_memory_input *input = opaque;
    if (input->position >= input->size) return AVERROR_EOF;
    size_t left = input->size - input->position;
    size_t n = (size_t)size < left ? (size_t)size : left;
    memcpy(buffer, input->data + input->position, n);
    input->position += n;
    return (int)n;
}

static int64_t seek_input(void *opaque, int64_t offset, int whence) {
    bw_memory_input *input = opaque;
    whence &= ~AVSEEK_FORCE;
    if (whence == AVSEEK_SIZE) return (int64_t)input->size;
    int64_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? (int64_t)input->position : (int64_t)input->size;
    if (whence != SEEK_SET && whence != SEEK_CUR && whence != SEEK_END) return AVERROR(EINVAL);
    int64_t target = base + offset;
    if (target < 0 || target > (int64_t)input->size) return AVERROR(EINVAL);
    input->position = (size_t)target;
    return target;
}

static void fail(bw_video_result *result, bw_video_status status, const char *what, int error, int64_t offset) {
    result->status = status;
    result->offset = offset;
    if (error != 0) {
        char text[AV_ERROR_MAX_STRING_SIZE] = {0};
        av_strerror(error, text, sizeof text);
        snprintf(result->message, sizeof result->message, "%s: %s", what, text);
    } else {
        snprintf(result->message, sizeof result->message, "%s", what);
    }
}

static int64_t input_offset(const bw_video *video) {
    return video->io ? avio_tell(video->io) : 0;
}

void bw_video_close(bw_video *video) {
    if (!video) return;
    sws_freeContext(video->scaler);
    av_free(video->coded);
    av_packet_free(&video->packet);
    av_frame_free(&video->frame);
    avcodec_free_context(&video->decoder);
    if (video->format) avformat_close_input(&video->format);
    if (video->io) {
        av_freep(&video->io->buffer);
        avio_context_free(&video->io);
    }
    av_free(video);
}

static int next_frame(bw_video *video, bw_video_result *result);

static int allowed_codec(enum AVCodecID id) {
    switch (id) {
    case AV_CODEC_ID_H264:
    case AV_CODEC_ID_HEVC:
    case AV_CODEC_ID_VP8:
    case AV_CODEC_ID_VP9:
    case AV_CODEC_ID_AV1:
    case AV_CODEC_ID_MPEG4:
        return 1;
    default:
        return 0;
    }
}

// An entry of the display matrix (16.16 fixed point) as -1, 0 or 1: within a degree's sine of 0
// is 0, as FFmpeg's command line takes a turn within a degree of a right angle for one.
static int unit_sign(int32_t value) {
    const int32_t zero = 1144;  // sin(1 degree) * 65536
    return value > zero ? 1 : value < -zero ? -1 : 0;
}

// Reads the stream's display matrix into video->a...d and the result's rotation and mirroring.
static void read_display_matrix(bw_video *video, const AVStream *stream, bw_video_result *result) {
    video->a = 1, video->b = 0, video->c = 0, video->d = 1;
    size_t size = 0;
    const int32_t *m = (const int32_t *)av_stream_get_side_data(stream, AV_PKT_DATA_DISPLAYMATRIX, &size);
    if (!m || size < 9 * sizeof(int32_t)) return;
    int a = unit_sign(m[0]), b = unit_sign(m[1]), c = unit_sign(m[3]), d = unit_sign(m[4]);
    int straight = a != 0 && d != 0 && b == 0 && c == 0;
    int turned = a == 0 && d == 0 && b != 0 && c != 0;
    if (!straight && !turned) {
        result->display_matrix_ignored = 1;
        return;
    }
    video->a = a, video->b = b, video->c = c, video->d = d;
    // Mirrored when the matrix reverses orientation; the turn is what is left once the mirror
    // (p, q) -> (-p, q) is taken off.
    result->mirrored = a * d - b * c < 0;
    if (result->mirrored) a = -a, b = -b;
    result->rotation = a == 1 ? 0 : a == -1 ? 180 : b == 1 ? 90 : 270;
}

// Writes the picture `from` (width x height, RGB) turned by the display matrix into `to`.
static void turn(const bw_video *video, const uint8_t *from, int width, int height, uint8_t *to) {
    const int a = video->a, b = video->b, c = video->c, d = video->d;
    const int shown_width = a != 0 ? width : height;
    const int x0 = (a < 0 ? width - 1 : 0) + (c < 0 ? height - 1 : 0);
    const int y0 = (b < 0 ? width - 1 : 0) + (d < 0 ? height - 1 : 0);
    for (int q = 0; q < height; q++) {
        const uint8_t *row = from + (size_t)q * width * 3;
        for (int p = 0; p < width; p++) {
            int x = x0 + a * p + c * q, y = y0 + b * p + d * q;
            uint8_t *pixel = to + ((size_t)y * shown_width + x) * 3;
            pixel[0] = row[3 * p], pixel[1] = row[3 * p + 1], pixel[2] = row[3 * p + 2];
        }
    }
}

bw_video *bw_video_open(
    const uint8_t *data, size_t size, uint64_t max_pixels_decoded, int64_t max_frame_pixels,
    bw_video_result *result) {
    memset(result, 0, sizeof *result);
    av_log_set_level(AV_LOG_QUIET);
    bw_video *video = av_mallocz(sizeof *video);
    if (!video) {
        fail(result, BW_VIDEO_BAD_CALL, "out of memory", 0, 0);
        return NULL;
    }
    video->input = (bw_memory_input){data, size, 0};
    video->max_pixels_decoded = max_pixels_decoded;
    const int buffer_size = 1 << 16;
    uint8_t *buffer = av_malloc(buffer_size);
    if (buffer) video->io = avio_alloc_context(buffer, buffer_size, 0, &video->input, read_input, NULL, seek_input);
    video->format = avformat_alloc_context();
    video->frame = av_frame_alloc();
    video->packet = av_packet_alloc();
    if (!video->io || !video->format || !video->frame || !video->packet) {
        if (!video->io) av_free(buffer);
        fail(result, BW_VIDEO_BAD_CALL, "out of memory", 0, 0);
        bw_video_close(video);
        return NULL;
    }
    video->format->pb = video->io;
    video->format->flags |= AVFMT_FLAG_CUSTOM_IO;
    // Only these demuxers may read the data, whatever the probe thinks it is.
    video->format->format_whitelist = av_strdup("mov,mp4,m4a,3gp,3g2,mj2,matroska,webm");
    int error = avformat_open_input(&video->format, NULL, NULL, NULL);
    if (error < 0) {
        // avformat_open_input frees the context on failure.
        video->format = NULL;
        int cut = error == AVERROR_EOF || error == AVERROR(EIO);
        fail(result, cut ? BW_VIDEO_TRUNCATED : error == AVERROR_INVALIDDATA ? BW_VIDEO_CORRUPT : BW_VIDEO_UNSUPPORTED,
             cut ? "the data ends inside the container's header" : "the container does not read", cut ? 0 : error,
             input_offset(video));
        bw_video_close(video);
        return NULL;
    }
    snprintf(result->container, sizeof result->container, "%s", video->format->iformat->name);
    if (video->format->duration > 0) result->duration = (double)video->format->duration / AV_TIME_BASE;
    int stream = av_find_best_stream(video->format, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    if (stream < 0) {
        fail(result, BW_VIDEO_UNSUPPORTED, "no video stream", 0, input_offset(video));
        bw_video_close(video);
        return NULL;
    }
    AVStream *s = video->format->streams[stream];
    AVCodecParameters *parameters = s->codecpar;
    snprintf(result->codec, sizeof result->codec, "%s", avcodec_get_name(parameters->codec_id));
    if (!allowed_codec(parameters->codec_id)) {
        fail(result, BW_VIDEO_UNSUPPORTED, "the video's codec is not one Bulwark decodes", 0, input_offset(video));
        bw_video_close(video);
        return NULL;
    }
    const AVCodec *codec = avcodec_find_decoder(parameters->codec_id);
    if (!codec) {
        fail(result, BW_VIDEO_UNSUPPORTED, "no decoder for the video's codec in this build of libavcodec", 0,
             input_offset(video));
        bw_video_close(video);
        return NULL;
    }
    video->width = parameters->width;
    video->height = parameters->height;
    // Every stream but the video is left unread by the demuxer.
    for (unsigned i = 0; i < video->format->nb_streams; i++) {
        if ((int)i != stream) video->format->streams[i]->discard = AVDISCARD_ALL;
    }
    video->stream = stream;
    video->time_base = s->time_base;
    AVRational rate = s->avg_frame_rate.num > 0 ? s->avg_frame_rate : s->r_frame_rate;
    video->frame_seconds = rate.num > 0 && rate.den > 0 ? av_q2d(av_inv_q(rate)) : 1.0 / 25;
    video->decoder = avcodec_alloc_context3(codec);
    if (!video->decoder) {
        fail(result, BW_VIDEO_BAD_CALL, "out of memory", 0, 0);
        bw_video_close(video);
        return NULL;
    }
    error = avcodec_parameters_to_context(video->decoder, parameters);
    if (error >= 0) {
        video->decoder->thread_count = 1;
        // A declared size over the bound opens, for the caller to refuse by its own limits.
        int64_t declared = (int64_t)video->width * video->height;
        video->decoder->max_pixels = declared > max_frame_pixels ? declared : max_frame_pixels;
        error = avcodec_open2(video->decoder, codec, NULL);
    }
    if (error < 0) {
        fail(result, BW_VIDEO_CORRUPT, "the decoder does not open", error, input_offset(video));
        bw_video_close(video);
        return NULL;
    }
    if (video->width <= 0 || video->height <= 0) {
        // The container leaves the size to the stream (MPEG-4 Part 2 in MP4): the first frame has it.
        int got = next_frame(video, result);
        if (got <= 0) {
            if (got == 0) fail(result, BW_VIDEO_CORRUPT, "the video stream has no frame", 0, input_offset(video));
            bw_video_close(video);
            return NULL;
        }
        video->have_frame = 1;
        video->width = video->frame->width;
        video->height = video->frame->height;
    }
    read_display_matrix(video, s, result);
    int quarter = video->a == 0;
    result->width = quarter ? video->height : video->width;
    result->height = quarter ? video->width : video->height;
    return video;
}

// Takes the next decoded frame into video->frame: 1, 0 at the end, -1 on an error.
static int next_frame(bw_video *video, bw_video_result *result) {
    for (;;) {
        int error = avcodec_receive_frame(video->decoder, video->frame);
        if (error == 0) {
            AVFrame *f = video->frame;
            video->pixels_decoded += (uint64_t)f->width * (uint64_t)f->height;
            result->pixels_decoded = video->pixels_decoded;
            if (video->pixels_decoded > video->max_pixels_decoded) {
                av_frame_unref(f);
                fail(result, BW_VIDEO_TOO_LARGE, "", 0, input_offset(video));
                snprintf(result->message, sizeof result->message, "more than %llu pixels decoded",
                         (unsigned long long)video->max_pixels_decoded);
                return -1;
            }
            int64_t stamp = f->best_effort_timestamp != AV_NOPTS_VALUE ? f->best_effort_timestamp : f->pts;
            double time = stamp != AV_NOPTS_VALUE ? (double)stamp * av_q2d(video->time_base)
                                                  : video->last_time + video->frame_seconds;
            if (!video->have_origin) {
                video->origin = time;
                video->have_origin = 1;
            }
            video->last_time = time;
            video->frame_time = time - video->origin;
            return 1;
        }
        if (error == AVERROR_EOF) return 0;
        if (error != AVERROR(EAGAIN)) {
            fail(result, BW_VIDEO_CORRUPT, "the decoder stopped", error, input_offset(video));
            return -1;
        }
        if (video->flushed) return 0;
        // The decoder wants data: the next packet of the video stream, or the end.
        for (;;) {
            error = av_read_frame(video->format, video->packet);
            if (error == AVERROR_EOF) {
                avcodec_send_packet(video->decoder, NULL);
                video->flushed = 1;
                break;
            }
            if (error < 0) {
                fail(result, BW_VIDEO_CORRUPT, "the container stopped", error, input_offset(video));
                return -1;
            }
            if (video->packet->stream_index != video->stream) {
                av_packet_unref(video->packet);
                continue;
            }
            // A frame before the time asked for is never given, so one that no other frame refers
            // to need not be decoded (B-frames, most often; a quarter of the time of an H.264
            // video). Which frames those are is known only once the first frame gave the origin.
            int64_t stamp = video->packet->pts;
            int early = video->have_origin && stamp != AV_NOPTS_VALUE &&
                        (double)stamp * av_q2d(video->time_base) - video->origin + 1e-3 < video->target;
            video->decoder->skip_frame = early ? AVDISCARD_NONREF : AVDISCARD_DEFAULT;
            // A packet the decoder rejects is passed over, as players do: damage shows as a
            // frame missing or concealed, not as the end.
            avcodec_send_packet(video->decoder, video->packet);
            av_packet_unref(video->packet);
            break;
        }
    }
}

// The stream's time stamp of `at` seconds from the first frame.
static int64_t stamp_at(const bw_video *video, double at) {
    return (int64_t)((video->origin + at) / av_q2d(video->time_base));
}

// Moves to the key frame at or before `stamp` (libavformat's seek backwards) and flushes the
// decoder; the next bw_video_frame_at checks its first frame against its time (-2). 0 when the
// container does not seek: the reader is where it was.
static int move_to_key_frame(bw_video *video, int64_t stamp) {
    if (av_seek_frame(video->format, video->stream, stamp, AVSEEK_FLAG_BACKWARD) < 0) return 0;
    avcodec_flush_buffers(video->decoder);
    av_frame_unref(video->frame);
    video->have_frame = 0;
    video->seeked = 1;
    return 1;
}

int bw_video_seek(bw_video *video, double at) {
    if (!video->have_origin || video->flushed) return 0;
    // Not worth it within a second of where the reader is, nor backwards.
    if (video->origin + at < video->last_time + 1) return 0;
    // The container's index is not asked first (Matroska reads its cues on the first seek): a
    // key frame at or before the reader's position costs frames decoded again, not a wrong frame.
    video->index_asked = 1;
    return move_to_key_frame(video, stamp_at(video, at));
}

void bw_video_skip_key_frames(bw_video *video, int on) { video->skipping = on; }

void bw_video_colour_as_stated(bw_video *video, int on) { video->colour_as_stated = on; }

int bw_video_scale_to(bw_video *video, int width, int height) {
    if (width <= 0 || height <= 0 || video->have_origin || video->coded) return 0;
    // The stream's picture before it is turned: a quarter turn swaps the sides.
    int quarter = video->a == 0;
    video->width = quarter ? height : width;
    video->height = quarter ? width : height;
    return 1;
}

// The YUV-to-RGB coefficients libswscale has for a stream's matrix: BT.601's (its default) for a
// matrix it does not know or none stated.
static const int *coefficients_of(enum AVColorSpace space) {
    switch (space) {
    case AVCOL_SPC_BT709: return sws_getCoefficients(SWS_CS_ITU709);
    case AVCOL_SPC_FCC: return sws_getCoefficients(SWS_CS_FCC);
    case AVCOL_SPC_SMPTE240M: return sws_getCoefficients(SWS_CS_SMPTE240M);
    case AVCOL_SPC_BT2020_NCL:
    case AVCOL_SPC_BT2020_CL: return sws_getCoefficients(SWS_CS_BT2020);
    default: return sws_getCoefficients(SWS_CS_DEFAULT);
    }
}

// Moves to the key frame at or before `at` when the container's index (read with the file, as
// MP4's is, or on the first seek, as Matroska's cues are) places it past the last frame decoded:
// the frames between need not be decoded. Never backwards, so it costs nothing when key frames
// are far apart.
static void skip_to_key_frame(bw_video *video, double at) {
    if (!video->have_origin || video->flushed) return;
    // The frame in hand may be the one for this time (a slow video).
    if (video->have_frame && video->frame_time + 1e-3 >= at) return;
    AVStream *stream = video->format->streams[video->stream];
    // Matroska reads its cues (its index) only on a seek, its index holding until then only the
    // key frames read. While the reader holds no more than the first frame, moving back to it
    // costs that frame decoded again and brings the cues in; the frame after the move is checked
    // against the time as after any move.
    if (!video->index_asked && strncmp(video->format->iformat->name, "matroska", 8) == 0) {
        video->index_asked = 1;
        int64_t first = (int64_t)llround(video->origin / av_q2d(video->time_base));
        if (video->last_time == video->origin && !move_to_key_frame(video, first)) return;
    }
    int64_t stamp = stamp_at(video, at);
    int entry = av_index_search_timestamp(stream, stamp, AVSEEK_FLAG_BACKWARD);
    if (entry < 0) return;
    const AVIndexEntry *key = avformat_index_get_entry(stream, entry);
    // The index's time is the decoding time, at or before the key frame's own.
    if (!key || !(key->flags & AVINDEX_KEYFRAME) || (double)key->timestamp * av_q2d(video->time_base) <= video->last_time) return;
    move_to_key_frame(video, stamp);
}

int bw_video_frame_at(bw_video *video, double at, uint8_t *out, size_t out_size, bw_video_result *result) {
    result->status = BW_VIDEO_OK;
    result->message[0] = 0;
    int width = video->width, height = video->height;
    if (out_size != (size_t)width * (size_t)height * 3) {
        fail(result, BW_VIDEO_BAD_CALL, "the buffer is not the frame's size", 0, 0);
        return -1;
    }
    result->frame_seconds = video->frame_seconds;
    video->target = at;
    if (video->skipping) skip_to_key_frame(video, at);
    for (;;) {
        if (!video->have_frame) {
            int got = next_frame(video, result);
            if (got == 0) result->time = video->frame_time;
            if (got <= 0) return got;
            video->have_frame = 1;
            // The first frame after a move must not be past the time asked for: the frame for
            // that time would be lost.
            if (video->seeked) {
                video->seeked = 0;
                if (video->frame_time > at + 1e-3) return -2;
            }
        }
        // A frame is given for every time from the one before it up to its own: kept until a
        // later time is asked for, so a slow video gives the same frame twice.
        if (video->frame_time + 1e-3 >= at) break;
        av_frame_unref(video->frame);
        video->have_frame = 0;
    }
    AVFrame *f = video->frame;
    AVRational shape = av_guess_sample_aspect_ratio(video->format, video->format->streams[video->stream], f);
    int stated = shape.num > 0 && shape.den > 0;
    result->sample_aspect_num = stated ? shape.num : 0;
    result->sample_aspect_den = stated ? shape.den : 0;
    int straight = video->a == 1 && video->d == 1;
    if (!straight && !video->coded) {
        video->coded = av_malloc(out_size);
        if (!video->coded) {
            fail(result, BW_VIDEO_BAD_CALL, "out of memory", 0, 0);
            return -1;
        }
    }
    video->scaler = sws_getCachedContext(
        video->scaler, f->width, f->height, (enum AVPixelFormat)f->format, width, height, AV_PIX_FMT_RGB24,
        video->colour_as_stated ? SWS_BILINEAR | SWS_FULL_CHR_H_INT | SWS_FULL_CHR_H_INP | SWS_ACCURATE_RND : SWS_BILINEAR, NULL, NULL,
        NULL);
    if (!video->scaler) {
        fail(result, BW_VIDEO_CORRUPT, "the frame's pixel format does not convert to RGB", 0, input_offset(video));
        return -1;
    }
    if (video->colour_as_stated) {
        // Full range as stated (AVIF's default), else the limited range of video; to full-range RGB.
        const int *rgb = sws_getCoefficients(SWS_CS_DEFAULT);
        sws_setColorspaceDetails(
            video->scaler, coefficients_of(f->colorspace), f->color_range == AVCOL_RANGE_JPEG, rgb, 1, 0, 1 << 16, 1 << 16);
    }
    uint8_t *planes[4] = {straight ? out : video->coded, NULL, NULL, NULL};
    int strides[4] = {width * 3, 0, 0, 0};
    int rows = sws_scale(video->scaler, (const uint8_t *const *)f->data, f->linesize, 0, f->height, planes, strides);
    if (rows != height) {
        fail(result, BW_VIDEO_CORRUPT, "the frame does not convert to RGB", 0, input_offset(video));
        return -1;
    }
    if (!straight) turn(video, video->coded, width, height, out);
    result->time = video->frame_time;
    return 1;
}
