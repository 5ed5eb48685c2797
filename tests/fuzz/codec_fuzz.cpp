// Fuzz target: socket-manager's wire format and the server's handling of whatever a client
// sends. Nothing may crash, hang or read out of bounds; every request gets one reply.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "strategies/common/dictionary.hpp"
#include "strategies/socket_manager/handler.hpp"
#include "strategies/socket_manager/wire.hpp"

using namespace sharebench;
using namespace sharebench::socket_manager;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const Dataset dataset = [] {
    Dataset d;
    d.add("0", "zero");
    d.add("2", std::string(40, 'v'));
    d.add_counter("counter:0");
    return d;
  }();
  static Dictionary dictionary(dataset);
  static Handler handler(dictionary);
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  Request request;
  Reply reply;
  decode_request(input, request);
  decode_reply(input, reply);

  // The input as a stream of length-prefixed frames, as the Unix-socket server reads it.
  std::vector<std::string_view> frames;
  std::string_view rest = input, frame;
  try {
    while (std::size_t used = next_stream_frame(rest, &frame)) {
      frames.push_back(frame);
      rest.remove_prefix(used);
    }
  } catch (const Error&) {  // an impossible length: the server closes such a stream
  }
  frames.push_back(input);  // and the whole input as one ZeroMQ message
  std::string out;
  std::vector<std::size_t> ends;
  handler.handle(frames, out, false, &ends);
  if (ends.size() != frames.size()) throw std::logic_error("a request without exactly one reply");
  for (std::size_t i = 0, begin = 0; i < ends.size(); begin = ends[i++]) {
    if (!decode_reply(std::string_view(out).substr(begin, ends[i] - begin), reply).empty()) {
      throw std::logic_error("the server wrote a reply it cannot decode");
    }
  }
  return 0;
}
