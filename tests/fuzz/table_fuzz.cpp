// Fuzz target: the mmap-table loader on arbitrary bytes. It must refuse what is not a valid
// image with an Error, never crash or hang; what it accepts must be safe to look up in.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "strategies/mmap_table/table_format.hpp"

using namespace sharebench;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // A mapping is page-aligned; give the image the alignment its slot array needs.
  std::vector<std::uint64_t> aligned((size + 7) / 8);
  if (size > 0) std::memcpy(aligned.data(), data, size);
  char* image = reinterpret_cast<char*>(aligned.data());
  // Half of the inputs get a valid checksum, so mutations reach the checks behind it.
  if (size > 0 && data[size - 1] % 2 == 0) mmap_table::seal_image(image, size);
  try {
    const mmap_table::TableView view(image, size, "fuzz input");
    std::string_view value;
    for (const char* key : {"", "0", "2", "1998", "a\0b"}) view.find(key, value);
    // Every byte string that appears in the image as a possible key.
    for (std::size_t at = 0; at + 8 <= size && at < 4096; at += 8) view.find({image + at, 8}, value);
  } catch (const Error&) {
  }
  return 0;
}
