// The C APIs BulwarkMedia uses: TurboJPEG (libjpeg-turbo), libpng 1.6 (and zlib, which the
// shims call for a PNG's compressed text), libwebp's decoder, animation decoder and demuxer, giflib 5,
// libheif (HEIC and AVIF still images, with Debian's libde265, dav1d and libaom built in).
#ifndef BULWARK_CIMAGECODECS_SHIM_H
#define BULWARK_CIMAGECODECS_SHIM_H

#include <turbojpeg.h>
#include <png.h>
#include <webp/decode.h>
#include <webp/demux.h>
#include <gif_lib.h>
#include <libheif/heif.h>

#endif
