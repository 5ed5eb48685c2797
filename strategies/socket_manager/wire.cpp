#include "strategies/socket_manager/wire.hpp"

#include <cstring>

#include "common/error.hpp"

namespace sharebench::socket_manager {
namespace {

void put32(std::string& out, std::uint32_t v) { out.append(reinterpret_cast<const char*>(&v), 4); }

std::uint32_t get32(std::string_view s, std::size_t at) {
  std::uint32_t v;
  std::memcpy(&v, s.data() + at, 4);
  return v;
}

void check_size(std::size_t header, std::size_t payload) {
  if (payload > kMaxFrame - header) {
    throw Error("socket-manager: a frame of " + std::to_string(header + payload) + " bytes exceeds the " +
                std::to_string(kMaxFrame) + "-byte limit");
  }
}

}  // namespace

void encode_request(std::string& out, const Request& r) {
  check_size(kRequestHeader, r.key.size() + r.value.size());
  out.push_back(static_cast<char>(r.op));
  out.push_back(static_cast<char>(kWireVersion));
  out.append(2, '\0');
  put32(out, r.id);
  put32(out, static_cast<std::uint32_t>(r.key.size()));
  put32(out, static_cast<std::uint32_t>(r.value.size()));
  out.append(r.key);
  out.append(r.value);
}

void encode_reply(std::string& out, const Reply& r) {
  check_size(kReplyHeader, r.value.size());
  out.push_back(static_cast<char>(r.status));
  out.push_back(static_cast<char>(kWireVersion));
  out.append(2, '\0');
  put32(out, r.id);
  put32(out, static_cast<std::uint32_t>(r.value.size()));
  out.append(r.value);
}

std::string decode_request(std::string_view frame, Request& out) {
  if (frame.size() < kRequestHeader) {
    return "truncated request: " + std::to_string(frame.size()) + " bytes, header is " +
           std::to_string(kRequestHeader);
  }
  out.id = get32(frame, 4);
  const auto op = static_cast<std::uint8_t>(frame[0]);
  if (static_cast<std::uint8_t>(frame[1]) != kWireVersion) {
    return "wire version " + std::to_string(static_cast<std::uint8_t>(frame[1])) + ", expected " +
           std::to_string(kWireVersion);
  }
  if (op < static_cast<std::uint8_t>(WireOp::get) || op > static_cast<std::uint8_t>(WireOp::reset)) {
    return "unknown op " + std::to_string(op);
  }
  out.op = static_cast<WireOp>(op);
  const std::uint64_t key_size = get32(frame, 8);
  const std::uint64_t value_size = get32(frame, 12);
  if (kRequestHeader + key_size + value_size != frame.size()) {
    return "request sizes (key " + std::to_string(key_size) + ", value " + std::to_string(value_size) +
           ") do not match the frame's " + std::to_string(frame.size()) + " bytes";
  }
  out.key = frame.substr(kRequestHeader, key_size);
  out.value = frame.substr(kRequestHeader + key_size, value_size);
  if (out.op == WireOp::add && out.value.size() != 8) return "add needs an 8-byte delta";
  return "";
}

std::string decode_reply(std::string_view frame, Reply& out) {
  if (frame.size() < kReplyHeader) {
    return "truncated reply: " + std::to_string(frame.size()) + " bytes, header is " + std::to_string(kReplyHeader);
  }
  const auto status = static_cast<std::uint8_t>(frame[0]);
  if (static_cast<std::uint8_t>(frame[1]) != kWireVersion) return "reply of another wire version";
  if (status < static_cast<std::uint8_t>(WireStatus::found) || status > static_cast<std::uint8_t>(WireStatus::error)) {
    return "unknown reply status " + std::to_string(status);
  }
  out.status = static_cast<WireStatus>(status);
  out.id = get32(frame, 4);
  const std::uint64_t value_size = get32(frame, 8);
  if (kReplyHeader + value_size != frame.size()) {
    return "reply value size " + std::to_string(value_size) + " does not match the frame's " +
           std::to_string(frame.size()) + " bytes";
  }
  out.value = frame.substr(kReplyHeader);
  return "";
}

void append_length_prefix(std::string& out, std::size_t frame_size) {
  put32(out, static_cast<std::uint32_t>(frame_size));
}

std::size_t next_stream_frame(std::string_view buffer, std::string_view* frame) {
  if (buffer.size() < 4) return 0;
  const std::uint32_t size = get32(buffer, 0);
  if (size > kMaxFrame) {
    throw Error("stream frame length " + std::to_string(size) + " exceeds the " + std::to_string(kMaxFrame) +
                "-byte limit");
  }
  if (buffer.size() < 4 + std::size_t{size}) return 0;
  *frame = buffer.substr(4, size);
  return 4 + std::size_t{size};
}

std::string encode_int64(std::int64_t value) { return std::string(reinterpret_cast<const char*>(&value), 8); }

bool decode_int64(std::string_view bytes, std::int64_t* value) {
  if (bytes.size() != 8) return false;
  std::memcpy(value, bytes.data(), 8);
  return true;
}

}  // namespace sharebench::socket_manager
