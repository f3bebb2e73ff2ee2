// Meta's C++ PDQ on binary PPM files (P6, maxval 255), for checking and timing Bulwark's Swift PDQ
// against the C++ code itself rather than through the pdqhash binding. Built by build.sh against a
// ThreatExchange checkout; luminance comes from the reference's fillFloatLumaFromRGB (float32).
//
//   pdq-cpp hash FILE...       one line per file: path, hash, quality, 8 dihedral hashes, quality
//   pdq-cpp bench DIR N        images/s from pixels over N timed passes (after one warm-up)
#include <pdq/cpp/downscaling/downscaling.h>
#include <pdq/cpp/hashing/pdqhashing.h>

#include <dirent.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

using facebook::pdq::hashing::Hash256;

namespace {

struct Pixels {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> rgb;
};

bool readPPM(const std::string& path, Pixels& out) {
  FILE* f = fopen(path.c_str(), "rb");
  if (f == nullptr) return false;
  int maxval = 0;
  bool ok = fscanf(f, "P6 %d %d %d", &out.width, &out.height, &maxval) == 3 && maxval == 255 && fgetc(f) != EOF;
  if (ok) {
    out.rgb.resize(size_t(out.width) * out.height * 3);
    ok = fread(out.rgb.data(), 1, out.rgb.size(), f) == out.rgb.size();
  }
  fclose(f);
  return ok;
}

std::vector<float> luma(const Pixels& p) {
  std::vector<float> y(size_t(p.width) * p.height);
  facebook::pdq::downscaling::fillFloatLumaFromRGB(
      &p.rgb[0], &p.rgb[1], &p.rgb[2], p.height, p.width, p.width * 3, 3, y.data());
  return y;
}

float block64[64][64], block16x64[16][64], block16[16][16], aux16[16][16];

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 3 && std::string(argv[1]) == "hash") {
    for (int a = 2; a < argc; a++) {
      Pixels p;
      if (!readPPM(argv[a], p)) { fprintf(stderr, "cannot read %s\n", argv[a]); return 1; }
      std::vector<float> y = luma(p), y2 = y, scratch(y.size());
      Hash256 hash, d[8];
      int quality = 0, dihedralQuality = 0;
      facebook::pdq::hashing::pdqHash256FromFloatLuma(
          y.data(), scratch.data(), p.height, p.width, block64, block16x64, block16, hash, quality);
      facebook::pdq::hashing::pdqDihedralHash256esFromFloatLuma(y2.data(), scratch.data(), p.height, p.width, block64,
          block16x64, block16, aux16, &d[0], &d[1], &d[2], &d[3], &d[4], &d[5], &d[6], &d[7], dihedralQuality);
      printf("%s %s %d", argv[a], hash.format().c_str(), quality);
      for (auto& h : d) printf(" %s", h.format().c_str());
      printf(" %d\n", dihedralQuality);
    }
    return 0;
  }
  if (argc == 4 && std::string(argv[1]) == "bench") {
    std::string dir = argv[2];
    int passes = atoi(argv[3]);
    std::vector<std::string> names;
    if (DIR* d = opendir(dir.c_str())) {
      while (dirent* e = readdir(d)) {
        std::string n = e->d_name;
        if (n.size() > 4 && n.compare(n.size() - 4, 4, ".ppm") == 0) names.push_back(n);
      }
      closedir(d);
    }
    std::sort(names.begin(), names.end());
    std::vector<Pixels> images(names.size());
    for (size_t i = 0; i < names.size(); i++) {
      if (!readPPM(dir + "/" + names[i], images[i])) { fprintf(stderr, "cannot read %s\n", names[i].c_str()); return 1; }
    }
    if (images.empty() || passes < 1) { fprintf(stderr, "no .ppm files, or passes < 1\n"); return 1; }
    std::vector<double> runs;
    long checksum = 0;
    for (int pass = -1; pass < passes; pass++) {
      auto t0 = std::chrono::steady_clock::now();
      for (auto& p : images) {
        // Luma and a second plane per image, as the reference's own file tools allocate them.
        std::vector<float> y = luma(p), scratch(y.size());
        Hash256 hash;
        int quality = 0;
        facebook::pdq::hashing::pdqHash256FromFloatLuma(
            y.data(), scratch.data(), p.height, p.width, block64, block16x64, block16, hash, quality);
        checksum += quality;
      }
      double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (pass >= 0) runs.push_back(s);
    }
    std::sort(runs.begin(), runs.end());
    double median = runs[runs.size() / 2], n = double(images.size());
    printf("C++ reference, one thread: %zu images, from pixels: %.2f images/s, %.2f ms/image (median of %d; best %.2f images/s; checksum %ld)\n",
        images.size(), n / median, median * 1000 / n, passes, n / runs[0], checksum);
    return 0;
  }
  fprintf(stderr, "usage: pdq-cpp hash FILE... | pdq-cpp bench DIR PASSES\n");
  return 2;
}
