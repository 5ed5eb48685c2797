// The socket-manager server's work on the requests that arrive together: decode the frames,
// apply them to the dictionary in arrival order (their lookups overlapped), encode a reply to
// each. The transport is the server's (server.hpp).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "strategies/common/dictionary.hpp"
#include "strategies/socket_manager/wire.hpp"

namespace sharebench::socket_manager {

class Handler {
 public:
  explicit Handler(Dictionary& dictionary) : dictionary_(dictionary) {}

  // Handles the request frames in order and appends one reply per frame to `out`, each
  // behind a 4-byte length if `length_prefix`; reply_ends (if given) gets the end offset
  // of each reply. A malformed frame gets an error reply; nothing a client sends can stop
  // the server.
  void handle(std::span<const std::string_view> frames, std::string& out, bool length_prefix,
              std::vector<std::size_t>* reply_ends = nullptr);
  std::uint64_t bad_frames() const { return bad_frames_; }

 private:
  struct Decoded {
    Request request;
    std::string error;
  };
  void reply(const Decoded& d, std::uint64_t hash, std::string& out);

  Dictionary& dictionary_;
  std::uint64_t bad_frames_ = 0;
  std::vector<Decoded> decoded_;  // scratch space of handle(), kept so a batch allocates nothing
};

}  // namespace sharebench::socket_manager
