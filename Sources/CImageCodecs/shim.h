// The C APIs BulwarkMedia uses: TurboJPEG (libjpeg-turbo), libpng 1.6 (and zlib, which the
// shims call for a PNG's compressed text), libwebp's decoder, animation decoder and demuxer, giflib 5.
#ifndef BULWARK_CIMAGECODECS_SHIM_H
#define BULWARK_CIMAGECODECS_SHIM_H

#include <turbojpeg.h>
#include <png.h>
#include <webp/decode.h>
#include <webp/demux.h>
#include <gif_lib.h>

#endif
