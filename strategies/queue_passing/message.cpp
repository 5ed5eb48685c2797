#include "strategies/queue_passing/message.hpp"

#include <algorithm>
#include <cstring>
#include <iterator>

namespace sharebench::queue_passing {
namespace {

// Reads the header and checks the lengths every kind shares.
Malformed decode_common(const char* data, std::size_t received, std::size_t payload_capacity,
                        MessageHeader& h, Message& out) {
  out = Message{};
  if (received < kHeaderSize) return Malformed::too_short;
  std::memcpy(&h, data, kHeaderSize);
  out.worker = h.worker;
  out.request_id = h.request_id;
  const std::uint64_t payload = std::uint64_t{h.key_size} + h.value_size;  // no overflow in 64 bits
  if (payload != received - kHeaderSize) return Malformed::sizes_disagree;
  if (payload > payload_capacity) return Malformed::too_large;
  return Malformed::none;
}

void set_payload(const char* data, const MessageHeader& h, Message& out) {
  out.key = std::string_view(data + kHeaderSize, h.key_size);
  out.value = std::string_view(data + kHeaderSize + h.key_size, h.value_size);
}

}  // namespace

std::size_t payload_capacity_for(std::size_t max_key_size, std::size_t max_value_size) {
  return max_key_size + std::max<std::size_t>(max_value_size, sizeof(std::int64_t));
}

std::size_t encode(char* out, MessageKind kind, Status status, std::uint32_t worker,
                   std::uint64_t request_id, std::string_view key, std::string_view value) {
  const MessageHeader h{static_cast<std::uint8_t>(kind),
                        static_cast<std::uint8_t>(status),
                        0,
                        worker,
                        static_cast<std::uint32_t>(key.size()),
                        static_cast<std::uint32_t>(value.size()),
                        request_id};
  std::memcpy(out, &h, kHeaderSize);
  if (!key.empty()) std::memcpy(out + kHeaderSize, key.data(), key.size());
  if (!value.empty()) std::memcpy(out + kHeaderSize + key.size(), value.data(), value.size());
  return kHeaderSize + key.size() + value.size();
}

const char* describe(Malformed why) {
  static constexpr const char* kWhy[] = {
      "well-formed",                                           // none
      "shorter than a message header",                         // too_short
      "key and value sizes disagree with the bytes received",  // sizes_disagree
      "payload larger than the queue's message size",          // too_large
      "unknown message kind",                                  // bad_kind
      "worker id out of range",                                // bad_worker
      "fields inconsistent with the message kind",             // bad_fields
  };
  static_assert(std::size(kWhy) == static_cast<std::size_t>(Malformed::bad_fields) + 1, "one text per Malformed");
  const auto i = static_cast<std::size_t>(why);
  return i < std::size(kWhy) ? kWhy[i] : "?";
}

Malformed decode_request(const char* data, std::size_t received, std::size_t payload_capacity,
                         Message& out) {
  MessageHeader h;
  if (Malformed why = decode_common(data, received, payload_capacity, h, out); why != Malformed::none) {
    return why;
  }
  if (h.worker >= kMaxWorkers) return Malformed::bad_worker;
  if (h.status != 0 || h.reserved != 0) return Malformed::bad_fields;
  switch (static_cast<MessageKind>(h.kind)) {
    case MessageKind::get:
      if (h.value_size != 0) return Malformed::bad_fields;
      break;
    case MessageKind::put:
      break;
    case MessageKind::add:
      if (h.value_size != sizeof(std::int64_t)) return Malformed::bad_fields;
      break;
    case MessageKind::stop:
      if (h.key_size != 0 || h.value_size != 0) return Malformed::bad_fields;
      break;
    default:
      return Malformed::bad_kind;
  }
  out.kind = static_cast<MessageKind>(h.kind);
  set_payload(data, h, out);
  return Malformed::none;
}

Malformed decode_reply(const char* data, std::size_t received, std::size_t payload_capacity,
                       Message& out) {
  MessageHeader h;
  if (Malformed why = decode_common(data, received, payload_capacity, h, out); why != Malformed::none) {
    return why;
  }
  if (h.kind != static_cast<std::uint8_t>(MessageKind::reply)) return Malformed::bad_kind;
  if (h.key_size != 0 || h.reserved != 0 || h.status > static_cast<std::uint8_t>(Status::malformed)) {
    return Malformed::bad_fields;
  }
  out.kind = MessageKind::reply;
  out.status = static_cast<Status>(h.status);
  set_payload(data, h, out);
  return Malformed::none;
}

}  // namespace sharebench::queue_passing
