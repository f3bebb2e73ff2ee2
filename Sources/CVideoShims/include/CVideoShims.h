// Video frames through FFmpeg's libraries (Debian's libavformat, libavcodec, libswscale), read
// from memory: the container's demuxer and the stream's decoder are limited to a short list, and
// every decoded pixel is counted against the caller's bound.
#ifndef BULWARK_CVIDEOSHIMS_H
#define BULWARK_CVIDEOSHIMS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    BW_VIDEO_OK = 0,
    /// A container or codec not on the list, or no video stream.
    BW_VIDEO_UNSUPPORTED = 1,
    /// The demuxer or decoder rejected the data; `offset` is how far the input had been read.
    BW_VIDEO_CORRUPT = 2,
    /// More pixels decoded than the bound, or a frame larger than the stream declared.
    BW_VIDEO_TOO_LARGE = 3,
    /// Memory ran out, or the caller's buffer is not width * height * 3 bytes.
    BW_VIDEO_BAD_CALL = 4,
    /// The data ends inside the container's header.
    BW_VIDEO_TRUNCATED = 5,
} bw_video_status;

typedef struct {
    bw_video_status status;
    /// What went wrong, NUL-terminated.
    char message[200];
    /// The size of the frames given: the video stream's, as its parameters declare it, turned as
    /// the display matrix says (a quarter turn swaps width and height).
    int32_t width;
    int32_t height;
    /// How the frames are turned from the stream's pictures for display, as the container's display
    /// matrix says (an MP4 track's matrix: a phone held upright writes a quarter turn): mirrored left
    /// to right first when `mirrored`, then turned `rotation` degrees clockwise (0, 90, 180, 270).
    int32_t rotation;
    int32_t mirrored;
    /// 1 when the container states a display matrix that is not a right-angle turn or mirror (a
    /// turn of 30 degrees, a shear): the frames are given as the stream codes them.
    int32_t display_matrix_ignored;
    /// The duration the container states, in seconds; 0 when it states none.
    double duration;
    /// The time of the frame given, in seconds from the stream's start; at the end of the stream,
    /// the last frame's.
    double time;
    /// A frame's duration by the stream's frame rate (1/25 s when it states none).
    double frame_seconds;
    /// Bytes of the input read when the error happened.
    int64_t offset;
    /// Pixels decoded so far (every frame, not only those given).
    uint64_t pixels_decoded;
    /// The demuxer's and decoder's short names.
    char container[24];
    char codec[24];
    /// The shape of the stream's pixels, a pixel's width over its height, as the frame given (the
    /// codec's) or else the container states it: 4/3 for 1440x1080 shown as 16:9; 0/0 when
    /// neither states one (square pixels).
    int32_t sample_aspect_num;
    int32_t sample_aspect_den;
} bw_video_result;

typedef struct bw_video bw_video;

/// Opens the video in `data` (not copied: it must outlive the reader). NULL with `result` saying
/// why when the container is not one of MP4/QuickTime or Matroska/WebM, holds no video stream,
/// or its codec is not H.264, H.265, VP8, VP9, AV1 or MPEG-4 Part 2. Decoding stops once more
/// than `max_pixels_decoded` pixels have been decoded; a frame over `max_frame_pixels` (or over
/// the size the stream declares, when that is larger: the caller refuses such a stream by its own
/// limits) is an error.
bw_video *bw_video_open(
    const uint8_t *data, size_t size, uint64_t max_pixels_decoded, int64_t max_frame_pixels,
    bw_video_result *result);

/// Decodes on to the first frame whose time is at least `at` seconds and writes it to `out` as
/// RGB, `width * height * 3` bytes (scaled to the stream's size if the frame's differs, then turned
/// or mirrored as the display matrix says, as FFmpeg's command line does by default). Returns 1
/// for a frame (`result->time` is its time), 0 when the stream ends first, -1 on an error.
int bw_video_frame_at(bw_video *video, double at, uint8_t *out, size_t out_size, bw_video_result *result);

/// Moves the reader to the last key frame at or before `at` seconds (from the first frame), so
/// that the next `bw_video_frame_at` for `at` or later decodes from there instead of from where
/// the reader is: a still of a long video's late frame. Only after the first frame was given,
/// and a second or more past the reader's position. Returns 1 when it moved, 0 when it did not
/// (the container cannot seek): the reader is then where it was. After a move,
/// a `bw_video_frame_at` whose first frame decoded is past the time asked for (a container's index
/// that lied) returns -2, and the caller reads from the start instead.
int bw_video_seek(bw_video *video, double at);

/// With `on`, each `bw_video_frame_at` first moves to the key frame at or before its time when
/// the container's index (read with the file, as MP4's is; Matroska reads its cues only on a
/// seek, so a Matroska or WebM reader moves back to its first frame once, after it, to bring them
/// in) places it past the last frame decoded, so that the frames between are not decoded; a
/// `bw_video_frame_at` whose first frame after such a move is past its time returns -2.
void bw_video_skip_key_frames(bw_video *video, int on);

/// With `on`, each frame is converted to RGB with the colour matrix and the range its stream
/// states (an AV1 or HEVC sequence header, as an image sequence's frames: AVIF's), as libavif and
/// libheif convert an image, where by default the conversion is libswscale's own (BT.601, the
/// range the pixel format implies), as the video references read videos.
void bw_video_colour_as_stated(bw_video *video, int on);

/// Gives every frame at `width` x `height` (as shown, after the display matrix's turn), scaled
/// from the stream's size: an image sequence's frames at its primary image's size. Only before
/// the first frame is given; 1 when set, 0 when not (a frame was given, or a size under 1).
int bw_video_scale_to(bw_video *video, int width, int height);

void bw_video_close(bw_video *video);

#ifdef __cplusplus
}
#endif

#endif
