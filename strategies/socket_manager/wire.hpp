// socket-manager's wire format: compact binary frames, little-endian, length-checked on
// both sides. The same frames travel as one ZeroMQ message each, or over a Unix-domain
// stream socket behind a 4-byte length prefix.
//
//   request  u8 op | u8 version | u16 0 | u32 request id | u32 key size | u32 value size | key | value
//   reply    u8 status | u8 version | u16 0 | u32 request id | u32 value size | value
//
// add carries its delta as an 8-byte value and gets the new value back the same way; hello
// gets what the server's dataset was built from: digest, keys, value size and counters (four
// 8-byte words), then its workload's name; reset restores the dataset the server was started
// with. An error reply's value is a one-line message.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sharebench::socket_manager {

inline constexpr std::uint8_t kWireVersion = 2;  // 2: hello describes the dataset
inline constexpr std::size_t kRequestHeader = 16;
inline constexpr std::size_t kReplyHeader = 12;
inline constexpr std::size_t kMaxFrame = std::size_t{64} << 20;  // keys + values above this are refused

enum class WireOp : std::uint8_t { get = 1, put = 2, add = 3, hello = 4, reset = 5 };
enum class WireStatus : std::uint8_t { found = 1, absent = 2, done = 3, error = 4 };

struct Request {
  WireOp op = WireOp::get;
  std::uint32_t id = 0;
  std::string_view key;
  std::string_view value;
};

struct Reply {
  WireStatus status = WireStatus::done;
  std::uint32_t id = 0;
  std::string_view value;
};

// Append one encoded frame to `out`. Throws Error if it would exceed kMaxFrame.
void encode_request(std::string& out, const Request& request);
void encode_reply(std::string& out, const Reply& reply);

// Decode one whole frame. Returns "" on success, else what is wrong with it; the views in
// the result point into `frame`. A request's id is set whenever the header was readable, so
// an error reply can name it.
std::string decode_request(std::string_view frame, Request& out);
std::string decode_reply(std::string_view frame, Reply& out);

// The stream framing: a u32 length, then the frame.
void append_length_prefix(std::string& out, std::size_t frame_size);
// If `buffer` starts with a whole length-prefixed frame, its size (prefix included), the
// frame in *frame; 0 if more bytes are needed. Throws Error for a length above kMaxFrame,
// after which the stream cannot be trusted.
std::size_t next_stream_frame(std::string_view buffer, std::string_view* frame);

std::string encode_int64(std::int64_t value);
bool decode_int64(std::string_view bytes, std::int64_t* value);

}  // namespace sharebench::socket_manager
